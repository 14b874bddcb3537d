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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Judges a history against the safety and liveness conditions of {@code docs/protocol.md}, in ground-truth
 * time, using the store's log of applied writes as the truth about what S3 did:
 *
 * <ul>
 *   <li>(a) mutual exclusion: no two holders of one lock work at the same instant while both leases are valid.
 *       A lease is valid until its {@code lockUntil} minus the clock bound (client time: another node whose
 *       clock is up to the bound ahead may take it from then on) or, in server time, until {@code lockUntil}
 *       on the store's clock (the client adds a one-second margin to an estimate good to half a second plus
 *       half a round trip);
 *   <li>(b) fencing: every acquisition applied to the store has a larger token than every earlier one;
 *   <li>(c) liveness: an attempt on a lock that was free (expired by more than the clock bound, or missing)
 *       and that nobody else wrote while the attempt ran, must acquire it; a crashed holder's lock is taken
 *       again after its {@code lockUntil};
 *   <li>(d) no stranded writes: a call that reports failure ("not acquired", "lease lost") must not have a
 *       write applied that is still the current version when it returns; a call that reports success must have
 *       its write applied (no phantom leases);
 *   <li>(e) every exception is one of the documented types and names the bucket or the lock.
 * </ul>
 */
final class Checker {

  /** How the run was set up, as far as the checker needs it. */
  record Setup(Instant epoch, boolean renewedInBackground, boolean serverTime, long clockBoundNanos, long serverOffsetNanos, long maxLeaseNanos,
      long runEndNanos, String bucket, IntFunction<Set<Class<? extends Throwable>>> documentedExceptions,
      Set<Long> faultedCalls) {}

  /** A lock record as applied to the store. */
  record Rec(InMemoryS3.AppliedWrite write, String lock, String owner, long token, long untilGround) {
    long at() {
      return write.atNanos();
    }
  }

  /** What the checker found. */
  record Verdict(List<String> violations, int violationCount, int acquisitions, int attempts, int crashes,
      long maxCrashRecoveryNanos, Map<String, Integer> exceptions, int freeButNotAcquiredUnderFaults) {}

  private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]*)\"");
  private static final Pattern OWNER = Pattern.compile("\"owner\":\"([^\"]*)\"");
  private static final Pattern TOKEN = Pattern.compile("\"token\":(-?\\d+)");
  private static final Pattern UNTIL = Pattern.compile("\"lockUntil\":(-?\\d+)");
  private static final int MAX_REPORTED_PER_CONDITION = 5;

  private final Setup setup;
  private final List<String> violations = new ArrayList<>();
  private int total;
  private int freeButNotAcquiredUnderFaults;
  private final Map<Character, Integer> perCondition = new HashMap<>();
  private final Map<Long, List<Rec>> byCall = new HashMap<>();
  private final Map<String, List<Rec>> byLock = new HashMap<>();

  private Checker(Setup setup, List<InMemoryS3.AppliedWrite> writes) {
    this.setup = setup;
    for (InMemoryS3.AppliedWrite w : writes) {
      String body = new String(w.body(), StandardCharsets.UTF_8);
      Matcher owner = OWNER.matcher(body);
      if (!owner.find()) {
        continue; // the conformance probe's objects
      }
      Rec rec = new Rec(w, group(NAME, body), owner.group(1), Long.parseLong(group(TOKEN, body)),
          storeMillisToGround(Long.parseLong(group(UNTIL, body))));
      byCall.computeIfAbsent(w.call(), c -> new ArrayList<>()).add(rec);
      byLock.computeIfAbsent(rec.lock(), l -> new ArrayList<>()).add(rec);
    }
  }

  static Verdict check(Setup setup, History history, List<InMemoryS3.AppliedWrite> writes) {
    return new Checker(setup, writes).run(history);
  }

  private Verdict run(History history) {
    List<Call> calls = history.calls();
    List<Holding> holdings = history.holdings();
    checkTokens();
    checkCalls(calls);
    checkMutualExclusion(holdings);
    checkLiveness(calls);
    long recovery = checkCrashRecovery(holdings);
    Map<String, Integer> exceptions = new HashMap<>();
    calls.stream().filter(c -> c.outcome == Outcome.THREW)
        .forEach(c -> exceptions.merge(c.error.getClass().getSimpleName(), 1, Integer::sum));
    int attempts = (int) calls.stream().filter(c -> c.kind == Kind.ACQUIRE && c.outcome != Outcome.PENDING).count();
    int crashes = (int) holdings.stream().filter(h -> h.crashed).count();
    return new Verdict(List.copyOf(violations), total, holdings.size(), attempts, crashes, recovery, exceptions,
        freeButNotAcquiredUnderFaults);
  }

  /** (b) Tokens grow with every new owner, in the order the store applied the acquisitions. */
  private void checkTokens() {
    byLock.forEach((lock, recs) -> {
      long max = Long.MIN_VALUE;
      String owner = null;
      long token = 0;
      for (Rec r : recs) {
        if (!r.owner().equals(owner)) {
          if (r.token() <= max) {
            violation("(b) fencing token of '%s' did not grow: acquisition at %s got token %d after token %d",
                lock, ms(r.at()), r.token(), max);
          }
          owner = r.owner();
          token = r.token();
          max = Math.max(max, token);
        } else if (r.token() != token) {
          violation("(b) token of '%s' changed from %d to %d within one acquisition at %s", lock, token, r.token(),
              ms(r.at()));
        }
      }
    });
  }

  /** (d) and (e): every call's outcome agrees with what the store applied; every exception is documented. */
  private void checkCalls(List<Call> calls) {
    for (Call c : calls) {
      List<Rec> mine = byCall.getOrDefault(c.id, List.of());
      switch (c.outcome) {
        case SUCCESS -> {
          if (mine.isEmpty()) {
            violation("(d) %s reported success, but none of its writes was applied", c);
          }
        }
        case NEGATIVE -> {
          Rec current = lastAt(c.lock, c.end);
          if (current != null && mine.contains(current)) {
            violation("(d) %s reported failure, but its own write (token %d) was applied and is still current:"
                + " a stranded lock", c, current.token());
          }
        }
        case THREW -> checkException(c);
        default -> { }
      }
    }
  }

  private void checkException(Call c) {
    Throwable e = c.error;
    boolean documented = setup.documentedExceptions().apply(c.node).stream().anyMatch(t -> t.isInstance(e));
    String message = e.getMessage();
    if (!documented) {
      violation("(e) %s threw an undocumented %s", c, stack(e));
    } else if (message == null || !(message.contains(setup.bucket()) || message.contains("'" + c.lock + "'"))) {
      // Useful = says where: the bucket (S3 failures) or the lock (e.g. Quartz's wait for a local thread).
      violation("(e) %s threw %s whose message names neither bucket nor lock: %s", c, e.getClass().getName(),
          message);
    }
  }

  /** (a) No two holders of a lock work at one ground-truth instant within their valid leases. */
  private void checkMutualExclusion(List<Holding> holdings) {
    Map<String, List<long[]>> intervals = new HashMap<>();
    Map<long[], Holding> owners = new HashMap<>();
    for (Holding h : holdings) {
      Rec lease = leaseOf(h);
      if (lease == null) {
        continue; // a phantom lease, reported by (d)
      }
      long validUntil = lease.untilGround() - (setup.serverTime() ? 0 : setup.clockBoundNanos());
      long[] interval = {h.acquire.end, Math.min(h.workEnd, validUntil)};
      if (interval[1] > interval[0]) {
        intervals.computeIfAbsent(h.acquire.lock, l -> new ArrayList<>()).add(interval);
        owners.put(interval, h);
      }
    }
    intervals.forEach((lock, list) -> {
      list.sort(Comparator.comparingLong(i -> i[0]));
      long[] widest = null;
      for (long[] i : list) {
        if (widest != null && i[0] < widest[1]) {
          violation("(a) two holders of '%s': %s worked until %s, %s started at %s", lock,
              owners.get(widest).acquire, ms(widest[1]), owners.get(i).acquire, ms(i[0]));
        }
        if (widest == null || i[1] > widest[1]) {
          widest = i;
        }
      }
    });
  }

  /** (c) A free lock that nobody else touched during the attempt must be acquired. */
  private void checkLiveness(List<Call> calls) {
    Map<String, Long> excludedUntil = new HashMap<>();
    for (Call c : calls) {
      String nodeLock = c.node + "/" + c.lock;
      if (c.kind != Kind.ACQUIRE && c.outcome == Outcome.THREW) {
        // A release or extend that failed leaves the node believing it still holds the lock, so it will not
        // re-acquire it itself until that lease runs out (other nodes can): not a liveness failure.
        excludedUntil.put(nodeLock, c.end + setup.maxLeaseNanos() + slack(c));
      }
      if (c.kind != Kind.ACQUIRE || c.outcome != Outcome.NEGATIVE
          || c.start < excludedUntil.getOrDefault(nodeLock, Long.MIN_VALUE)) {
        continue;
      }
      Rec before = lastAt(c.lock, c.start);
      boolean free = before == null || before.untilGround() + slack(c) <= c.start;
      List<Rec> recs = byLock.getOrDefault(c.lock, List.of());
      int after = firstAfter(recs, c.start);
      boolean touched = after < recs.size() && recs.get(after).at() <= c.end;
      if (free && !touched && setup.faultedCalls().contains(c.id)) {
        // The store failed (5xx, drops) during the attempt. The core then reports "not acquired" rather than
        // an exception; counted and reported, but not a liveness failure of the protocol: no retry succeeded.
        freeButNotAcquiredUnderFaults++;
      } else if (free && !touched) {
        violation("(c) %s found the lock held, but it had been free since %s and nobody wrote it meanwhile", c,
            before == null ? "ever" : ms(before.untilGround()));
      }
    }
  }

  /** (c) Every crashed holder's lock was taken again; returns the longest wait past its lockUntil. */
  private long checkCrashRecovery(List<Holding> holdings) {
    long longest = 0;
    for (Holding h : holdings) {
      Rec lease = leaseOf(h);
      if (!h.crashed || lease == null) {
        continue;
      }
      Rec next = byLock.get(lease.lock()).stream()
          .filter(r -> r.at() > lease.at() && !r.owner().equals(lease.owner())).findFirst().orElse(null);
      if (next != null) {
        longest = Math.max(longest, next.at() - lease.untilGround());
      } else if (lease.untilGround() + Timeline.millis(30_000) < setup.runEndNanos()) {
        violation("(c) the lock '%s' of crashed %s (until %s) was never taken again before the run ended at %s",
            lease.lock(), h.acquire, ms(lease.untilGround()), ms(setup.runEndNanos()));
      }
    }
    return longest;
  }

  /**
   * The lease a holder may rely on: the applied write of its last successful acquire or extend, cut short by
   * any later extend that did not report success but was applied. An extend may move lockUntil earlier, and
   * from the moment it is sent the holder cannot know whether it was applied; so while it runs, and after it
   * failed, the earlier of the two times is all the holder can rely on.
   */
  private Rec leaseOf(Holding h) {
    Call grant = h.grants.get(h.grants.size() - 1);
    List<Rec> recs = byCall.getOrDefault(grant.id, List.of());
    if (recs.isEmpty()) {
      return null;
    }
    Rec lease = recs.get(recs.size() - 1);
    if (setup.renewedInBackground()) {
      // Quartz: a daemon thread renews the lease while it is held (writes without a lock call); the holder
      // relies on the newest renewal applied before it stopped working.
      for (Rec r : byLock.get(lease.lock())) {
        if (r.owner().equals(lease.owner()) && r.write().call() == Calls.NONE && r.at() <= h.workEnd
            && r.untilGround() > lease.untilGround()) {
          lease = r;
        }
      }
      return lease;
    }
    for (Call e : h.extendCalls) {
      if (e.start > grant.start && !h.grants.contains(e)) {
        for (Rec r : byCall.getOrDefault(e.id, List.of())) {
          if (r.untilGround() < lease.untilGround()) {
            lease = r;
          }
        }
      }
    }
    return lease;
  }

  private long slack(Call c) {
    // Server time: the estimate is good to 0.5 s + half a round trip, and the client waits 1 s more.
    return setup.serverTime() ? Timeline.millis(1500) + (c.end - c.start) : setup.clockBoundNanos();
  }

  /** The version of {@code lock} the store held at {@code at}: its last write applied by then. */
  private Rec lastAt(String lock, long at) {
    List<Rec> recs = byLock.getOrDefault(lock, List.of());
    int after = firstAfter(recs, at);
    return after == 0 ? null : recs.get(after - 1);
  }

  /** Index of the first write applied after {@code at} (writes are in the order, and so the time, applied). */
  private static int firstAfter(List<Rec> recs, long at) {
    int lo = 0;
    int hi = recs.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (recs.get(mid).at() <= at) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private long storeMillisToGround(long millis) {
    long nanos = (millis - setup.epoch().toEpochMilli()) * 1_000_000L;
    return setup.serverTime() ? nanos - setup.serverOffsetNanos() : nanos;
  }

  /** Records a violation; keeps the first few of each condition, so that every broken condition shows. */
  private void violation(String format, Object... args) {
    total++;
    int seen = perCondition.merge(format.charAt(1), 1, Integer::sum);
    if (seen <= MAX_REPORTED_PER_CONDITION) {
      violations.add(String.format(format, args));
    }
  }

  private static String group(Pattern p, String body) {
    Matcher m = p.matcher(body);
    if (!m.find()) {
      throw new IllegalStateException("lock record without " + p.pattern() + ": " + body);
    }
    return m.group(1);
  }

  private static String stack(Throwable e) {
    StringBuilder s = new StringBuilder(e.toString());
    StackTraceElement[] frames = e.getStackTrace();
    for (int i = 0; i < Math.min(6, frames.length); i++) {
      s.append("\n    at ").append(frames[i]);
    }
    return s.toString();
  }

  /** Ground-truth nanos as seconds since the run's start, for messages. */
  static String ms(long nanos) {
    return nanos == Long.MAX_VALUE ? "never" : String.format("%.3fs", nanos / 1e9);
  }
}
