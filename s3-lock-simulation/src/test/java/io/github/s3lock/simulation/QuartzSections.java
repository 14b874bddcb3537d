package io.github.s3lock.simulation;

import io.github.s3lock.simulation.History.Call;
import io.github.s3lock.simulation.History.Holding;
import io.github.s3lock.simulation.History.Kind;
import io.github.s3lock.simulation.History.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Judges the sections of Quartz's lock handler with lease affinity, alongside the {@link Checker}. A section may
 * start without a request, on the lease its node kept from an earlier section; the Checker relates every holding to
 * the writes of its acquiring call, so it cannot judge those. Here, in ground-truth time:
 *
 * <ul>
 *   <li>(a) a section started without a write of its own (a local grant) only while the store's current version of
 *       the lock was its node's own lease, with at least the margin of a fresh one left (two thirds of the lease,
 *       counted from the start of the call at the latest): never on a lease handed back, lost, expired or about to
 *       expire. Judged when the acquire call returned: while it waited for the node's local lock, another thread of
 *       the node may have taken the lease it then started on. With that margin left at the grant, nobody else could
 *       have written the lock in the microseconds until the call returned, and a renewal applied meanwhile only
 *       moves lockUntil later;
 *   <li>(a) no two sections of one lock, on any nodes, work at the same instant while both their leases are valid
 *       (a lease is valid until the latest {@code lockUntil} its acquisition wrote before the section's work ended,
 *       minus the clock bound in client time);
 *   <li>(c) the lease of a section whose node crashed is taken by another node once it has run out.
 * </ul>
 *
 * <p>Before the Checker runs, {@link #markLocalGrants} marks the local grants' calls as having no reported outcome:
 * they made no write, so the Checker's condition (d), "success needs an applied write", does not apply to them.
 */
final class QuartzSections {

  /** A lock record as applied to the store. */
  private record Rec(long at, String lock, int node, String owner, long untilGround) {}

  /** What the check found. */
  record Verdict(List<String> violations, int sections, int localGrants) {}

  private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]*)\"");
  private static final Pattern OWNER = Pattern.compile("\"owner\":\"([^\"]*)\"");
  private static final Pattern UNTIL = Pattern.compile("\"lockUntil\":(-?\\d+)");
  private static final int MAX_REPORTED = 10;

  private final Instant epoch;
  private final boolean serverTime;
  private final long serverOffsetNanos;
  private final long clockBoundNanos;
  private final long marginNanos;
  private final long runEndNanos;
  private final Map<Long, List<Rec>> byCall = new HashMap<>();
  private final Map<String, List<Rec>> byLock = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private int violationCount;

  private QuartzSections(List<InMemoryS3.AppliedWrite> writes, Instant epoch, boolean serverTime,
      long serverOffsetNanos, long clockBoundNanos, long marginNanos, long runEndNanos) {
    this.epoch = epoch;
    this.serverTime = serverTime;
    this.serverOffsetNanos = serverOffsetNanos;
    this.clockBoundNanos = clockBoundNanos;
    this.marginNanos = marginNanos;
    this.runEndNanos = runEndNanos;
    for (InMemoryS3.AppliedWrite w : writes) {
      String body = new String(w.body(), StandardCharsets.UTF_8);
      Matcher owner = OWNER.matcher(body);
      Matcher name = NAME.matcher(body);
      Matcher until = UNTIL.matcher(body);
      if (!owner.find() || !name.find() || !until.find()) {
        continue; // the conformance probe's objects
      }
      Rec rec = new Rec(w.atNanos(), name.group(1), w.node(), owner.group(1), toGround(Long.parseLong(until.group(1))));
      byCall.computeIfAbsent(w.call(), c -> new ArrayList<>()).add(rec);
      byLock.computeIfAbsent(rec.lock(), l -> new ArrayList<>()).add(rec); // in the order, so the time, applied
    }
  }

  /**
   * Marks every successful acquire call that applied no write (a section granted on a kept lease) as UNREPORTED.
   *
   * @return how many there were
   */
  static int markLocalGrants(History history, List<InMemoryS3.AppliedWrite> writes) {
    Set<Long> wrote = new HashSet<>();
    writes.forEach(w -> wrote.add(w.call()));
    int marked = 0;
    for (Call c : history.calls()) {
      if (c.kind == Kind.ACQUIRE && c.outcome == Outcome.SUCCESS && !wrote.contains(c.id)) {
        c.outcome = Outcome.UNREPORTED;
        marked++;
      }
    }
    return marked;
  }

  /**
   * @param marginNanos the least lease a section may start on (two thirds of {@code leaseMillis})
   */
  static Verdict check(History history, List<InMemoryS3.AppliedWrite> writes, Instant epoch, boolean serverTime,
      long serverOffsetNanos, long clockBoundNanos, long marginNanos, long runEndNanos) {
    return new QuartzSections(writes, epoch, serverTime, serverOffsetNanos, clockBoundNanos, marginNanos,
        runEndNanos).run(history.holdings());
  }

  private Verdict run(List<Holding> holdings) {
    Map<String, List<long[]>> intervals = new HashMap<>();
    Map<long[], Holding> owners = new HashMap<>();
    int local = 0;
    for (Holding h : holdings) {
      Call c = h.acquire;
      List<Rec> mine = byCall.getOrDefault(c.id, List.of());
      String owner;
      if (mine.isEmpty()) {
        local++;
        Rec current = lastAt(c.lock, c.end);
        long tolerance = serverTime ? 0 : clockBoundNanos;
        if (current == null || current.node() != c.node || current.untilGround() <= c.end
            || current.untilGround() < c.start + marginNanos - tolerance) {
          violation("(a) %s started a section on a kept lease, but the store's version of '%s' then was %s", c,
              c.lock, current == null ? "none" : "node " + current.node() + "'s, until " + Checker.ms(
                  current.untilGround()));
          continue;
        }
        owner = current.owner();
      } else {
        owner = mine.get(mine.size() - 1).owner();
      }
      long validUntil = Long.MIN_VALUE;
      Rec last = null;
      for (Rec r : byLock.getOrDefault(c.lock, List.of())) {
        if (r.owner().equals(owner)) {
          last = r;
          if (r.at() <= h.workEnd) {
            validUntil = Math.max(validUntil, r.untilGround());
          }
        }
      }
      long[] interval = {c.end, Math.min(h.workEnd, validUntil - (serverTime ? 0 : clockBoundNanos))};
      if (interval[1] > interval[0]) {
        intervals.computeIfAbsent(c.lock, l -> new ArrayList<>()).add(interval);
        owners.put(interval, h);
      }
      if (h.crashed && last != null) {
        checkTakenOver(h, last);
      }
    }
    intervals.forEach((lock, list) -> {
      list.sort(Comparator.comparingLong(i -> i[0]));
      long[] widest = null;
      for (long[] i : list) {
        if (widest != null && i[0] < widest[1]) {
          violation("(a) two sections of '%s' at once: %s worked until %s, %s started at %s", lock,
              owners.get(widest).acquire, Checker.ms(widest[1]), owners.get(i).acquire, Checker.ms(i[0]));
        }
        if (widest == null || i[1] > widest[1]) {
          widest = i;
        }
      }
    });
    return new Verdict(List.copyOf(violations), holdings.size(), local);
  }

  /** (c) The lease a crashed node kept is written by another node after its last write, if the run lasts. */
  private void checkTakenOver(Holding h, Rec last) {
    boolean taken = byLock.get(last.lock()).stream().anyMatch(r -> r.at() > last.at() && r.node() != last.node());
    if (!taken && last.untilGround() + Timeline.millis(30_000) < runEndNanos) {
      violation("(c) the lease of '%s' that crashed %s held (until %s) was never taken again", last.lock(),
          h.acquire, Checker.ms(last.untilGround()));
    }
  }

  private Rec lastAt(String lock, long at) {
    Rec found = null;
    for (Rec r : byLock.getOrDefault(lock, List.of())) {
      if (r.at() > at) {
        break;
      }
      found = r;
    }
    return found;
  }

  private long toGround(long storeMillis) {
    long nanos = (storeMillis - epoch.toEpochMilli()) * 1_000_000L;
    return serverTime ? nanos - serverOffsetNanos : nanos;
  }

  private void violation(String format, Object... args) {
    if (++violationCount <= MAX_REPORTED) {
      violations.add(String.format(format, args));
    }
  }
}
