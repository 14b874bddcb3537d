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
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Judges a history against the safety and liveness conditions of {@code docs/protocol.md}, in ground-truth
 * time, using the store's log of applied writes (PUTs, late PUTs and DELETEs) as the truth about what S3 did:
 *
 * <ul>
 *   <li>(a) mutual exclusion: no two holders of one lock work at the same instant while both leases are valid.
 *       A lease is valid until its {@code lockUntil} minus the clock bound (client time: another node whose
 *       clock is up to the bound ahead may take it from then on) or, in server time, until {@code lockUntil}
 *       on the store's clock (the client adds a one-second margin to an estimate good to half a second plus
 *       half a round trip). A lease also ends when an operator deletes its object: no protocol can keep a lock
 *       whose object is gone, so a holding is judged only up to the deletion (and counted);
 *   <li>(b) fencing: every acquisition applied to the store has a larger token than every earlier one, across
 *       deletions of the object too. The token rule ({@code max(previous + 1, store time in microseconds)})
 *       guarantees that only for an acquisition that began more than {@link #recreationWindowNanos()} after the
 *       last acquisition of the deleted object (as much as two nodes' clocks may differ); a re-creation within
 *       that window is exempt and counted;
 *   <li>(c) liveness: an attempt on a lock that was free (expired by more than the clock bound, or never
 *       written; a deleted object counts as its last record, since only a read shows the deletion) and that
 *       nobody else wrote while the attempt ran, must acquire it; a crashed holder's lock is taken again after
 *       its {@code lockUntil};
 *   <li>(d) no stranded writes: a call that reports failure ("not acquired", "lease lost") must not have a
 *       write applied that is still the current version when it returns; an acquire that throws without a store
 *       fault must not leave its own write current and held; a release without a store fault must not leave
 *       the holder's lease current and held (an interrupted thread included); a call that reports success must
 *       have its write applied (no phantom leases). "Current" is judged when the call returns: a write that
 *       lands after that ({@link Fault#LANDS_LATE}) cannot be recognised by the call and is counted instead,
 *       with how long it kept the lock;
 *   <li>(e) every exception is one of the documented types and names the bucket or the lock; a listener's
 *       exception never escapes; a call whose thread was interrupted returns with the interrupt flag still set;
 *   <li>(f) a keep-alive gives up (its extend throws, or reports the lease lost) only when the lease is gone:
 *       expired (by the holder's margin) or written by someone else (or deleted).
 * </ul>
 */
final class Checker {

  /**
   * How the run was set up, as far as the checker needs it.
   *
   * @param holderMarginNanos how long before its {@code lockUntil} (ground truth) a holder may stop relying on
   *     its lease: its clock's error, plus the keep-alive's retry pause
   */
  record Setup(Instant epoch, boolean renewedInBackground, boolean serverTime, long clockBoundNanos,
      long serverOffsetNanos, long maxLeaseNanos, long runEndNanos, String bucket,
      IntFunction<Set<Class<? extends Throwable>>> documentedExceptions, Set<Long> faultedCalls,
      Set<Long> interruptedCalls, long holderMarginNanos) {}

  /** A lock record as applied to the store, or the deletion of its object ({@code owner} null). */
  record Rec(InMemoryS3.AppliedWrite write, String lock, String owner, long token, long untilGround) {
    long at() {
      return write.atNanos();
    }

    boolean deleted() {
      return write.deleted();
    }
  }

  /** What the checker counted besides violations: the faults whose effect is judged, not forbidden. */
  record Figures(long lateWrites, long lateAfterReturn, long lateStranded, long lateStrandedNanos,
      long longestLateStrandedNanos, long deletions, long deletedUnderHolder, long recreatedInWindow,
      long keepAliveExtends, long keepAliveEnded, long interruptedCalls) {

    static final Figures NONE = new Figures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    Figures plus(Figures o) {
      return new Figures(lateWrites + o.lateWrites, lateAfterReturn + o.lateAfterReturn,
          lateStranded + o.lateStranded, lateStrandedNanos + o.lateStrandedNanos,
          Math.max(longestLateStrandedNanos, o.longestLateStrandedNanos), deletions + o.deletions,
          deletedUnderHolder + o.deletedUnderHolder, recreatedInWindow + o.recreatedInWindow,
          keepAliveExtends + o.keepAliveExtends, keepAliveEnded + o.keepAliveEnded,
          interruptedCalls + o.interruptedCalls);
    }
  }

  /** What the checker found. */
  record Verdict(List<String> violations, int violationCount, Map<Character, Integer> violationsByCondition,
      int acquisitions, int attempts, int crashes, long maxCrashRecoveryNanos, Map<String, Integer> exceptions,
      int freeButNotAcquiredUnderFaults, Figures figures) {}

  /**
   * Server time: a node's estimate of the store's clock (the middle of its bounds) is off by up to half a second
   * (Date's resolution) plus half a round trip; with latency spikes under half a second each way, two nodes'
   * estimates differ by under 2 s.
   */
  static final long SERVER_RECREATION_WINDOW_NANOS = Timeline.millis(2000);

  private static final Pattern NAME = Pattern.compile("\"name\":\"([^\"]*)\"");
  private static final Pattern OWNER = Pattern.compile("\"owner\":\"([^\"]*)\"");
  private static final Pattern TOKEN = Pattern.compile("\"token\":(-?\\d+)");
  private static final Pattern UNTIL = Pattern.compile("\"lockUntil\":(-?\\d+)");
  private static final int MAX_REPORTED_PER_CONDITION = 5;

  private final Setup setup;
  private final List<Call> calls;
  private final List<String> violations = new ArrayList<>();
  private int total;
  private int freeButNotAcquiredUnderFaults;
  private long deletedUnderHolder;
  private long recreatedInWindow;
  private final Map<Character, Integer> perCondition = new HashMap<>();
  private final Map<Long, List<Rec>> byCall = new HashMap<>();
  private final Map<String, List<Rec>> byLock = new HashMap<>();

  private Checker(Setup setup, List<Call> calls, List<InMemoryS3.AppliedWrite> writes) {
    this.setup = setup;
    this.calls = calls;
    Map<String, String> lockOfKey = new HashMap<>();
    for (InMemoryS3.AppliedWrite w : writes) {
      if (w.deleted()) {
        String lock = lockOfKey.get(w.key());
        if (lock != null) { // else not a lock object (the probe's)
          byLock.get(lock).add(new Rec(w, lock, null, 0, Long.MIN_VALUE));
        }
        continue;
      }
      String body = new String(w.body(), StandardCharsets.UTF_8);
      Matcher owner = OWNER.matcher(body);
      if (!owner.find()) {
        continue; // the conformance probe's objects
      }
      Rec rec = new Rec(w, group(NAME, body), owner.group(1), Long.parseLong(group(TOKEN, body)),
          storeMillisToGround(Long.parseLong(group(UNTIL, body))));
      lockOfKey.put(w.key(), rec.lock());
      byCall.computeIfAbsent(w.call(), c -> new ArrayList<>()).add(rec);
      byLock.computeIfAbsent(rec.lock(), l -> new ArrayList<>()).add(rec);
    }
  }

  static Verdict check(Setup setup, History history, List<InMemoryS3.AppliedWrite> writes) {
    return new Checker(setup, history.calls(), writes).run(history.holdings());
  }

  private Verdict run(List<Holding> holdings) {
    checkTokens();
    checkCalls();
    checkReleases(holdings);
    checkMutualExclusion(holdings);
    checkLiveness();
    long recovery = checkCrashRecovery(holdings);
    long[] keepAlive = checkKeepAlive(holdings);
    Map<String, Integer> exceptions = new HashMap<>();
    calls.stream().filter(c -> c.outcome == Outcome.THREW)
        .forEach(c -> exceptions.merge(c.error.getClass().getSimpleName(), 1, Integer::sum));
    int attempts = (int) calls.stream().filter(c -> c.kind == Kind.ACQUIRE && c.outcome != Outcome.PENDING).count();
    int crashes = (int) holdings.stream().filter(h -> h.crashed).count();
    long interrupted = calls.stream().filter(this::interrupted).count();
    return new Verdict(List.copyOf(violations), total, new TreeMap<>(perCondition), holdings.size(), attempts,
        crashes, recovery, exceptions,
        freeButNotAcquiredUnderFaults, lateWrites(keepAlive[0], keepAlive[1], interrupted));
  }

  /**
   * (b) Tokens grow with every new owner, in the order the store applied the acquisitions, across deletions;
   * an acquisition that began within the re-creation window after the deleted object's last acquisition is
   * exempt (the token rule cannot order it) and counted.
   */
  private void checkTokens() {
    byLock.forEach((lock, recs) -> {
      long max = Long.MIN_VALUE;
      String owner = null;
      long token = 0;
      Rec lastAcquisition = null;
      Rec lastBeforeDeletion = null;
      Rec deletion = null;
      for (Rec r : recs) {
        if (r.deleted()) {
          deletion = r;
          lastBeforeDeletion = lastAcquisition;
          owner = null; // whoever creates it next acquires it, even the owner of the deleted record
          continue;
        }
        if (!r.owner().equals(owner)) {
          if (r.token() <= max) {
            if (lastBeforeDeletion != null
                && startOf(r) - lastBeforeDeletion.at() < recreationWindowNanos()) {
              recreatedInWindow++;
            } else if (deletion != null) {
              violation("(b) fencing token of '%s' did not grow across a deletion: acquisition at %s (%s) got"
                  + " token %d after token %d; the object was deleted at %s, its last acquisition was at %s", lock,
                  ms(r.at()), callOf(r), r.token(), max, ms(deletion.at()),
                  lastBeforeDeletion == null ? "never" : ms(lastBeforeDeletion.at()));
            } else {
              violation("(b) fencing token of '%s' did not grow: acquisition at %s got token %d after token %d",
                  lock, ms(r.at()), r.token(), max);
            }
          }
          owner = r.owner();
          token = r.token();
          max = Math.max(max, token);
          lastAcquisition = r;
        } else if (r.token() != token) {
          violation("(b) token of '%s' changed from %d to %d within one acquisition at %s", lock, token, r.token(),
              ms(r.at()));
        }
      }
    });
  }

  /**
   * How much two nodes' clocks, as tokens use them, may differ: in client time twice the clock bound (each node is
   * within the bound of ground truth, one ahead and one behind), in server time the error of two nodes' estimates
   * of the store's clock ({@code docs/protocol.md}: "about 2 s").
   */
  private long recreationWindowNanos() {
    return setup.serverTime() ? SERVER_RECREATION_WINDOW_NANOS : 2 * setup.clockBoundNanos();
  }

  /** (d) and (e): every call's outcome agrees with what the store applied; every exception is documented. */
  private void checkCalls() {
    for (Call c : calls) {
      List<Rec> mine = appliedBy(c);
      switch (c.outcome) {
        case SUCCESS -> {
          if (mine.isEmpty()) {
            violation("(d) %s reported success, but none of its writes was applied", c);
          }
        }
        case NEGATIVE -> {
          Rec current = currentAt(c.lock, c.end);
          if (current != null && mine.contains(current)) {
            violation("(d) %s reported failure, but its own write (token %d) was applied and is still current:"
                + " a stranded lock", c, current.token());
          }
        }
        case THREW -> {
          checkException(c);
          Rec current = currentAt(c.lock, c.end);
          if (c.kind == Kind.ACQUIRE && !faulted(c) && current != null && mine.contains(current)
              && current.untilGround() > c.end + estimateSlack()) {
            // Nothing failed in the store: the exception came from the client itself (an interrupt it did not
            // undo, a listener), and nobody knows that the lock is held.
            violation("(d) %s threw, but its own write (token %d) was applied and is still current, held until"
                + " %s: a stranded lock", c, current.token(), ms(current.untilGround()));
          }
        }
        default -> { }
      }
      if (c.outcome != Outcome.PENDING && interrupted(c) && Boolean.FALSE.equals(c.interruptFlagAfter)) {
        violation("(e) %s was interrupted, but returned with the thread's interrupt flag cleared", c);
      }
    }
  }

  private void checkException(Call c) {
    Throwable e = c.error;
    boolean documented = setup.documentedExceptions().apply(c.node).stream().anyMatch(t -> t.isInstance(e));
    String message = e.getMessage();
    if (causedBy(e, ListenerFailure.class)) {
      violation("(e) %s threw the listener's exception: a callback changed the call's outcome (%s)", c,
          stack(e));
    } else if (!documented) {
      violation("(e) %s threw an undocumented %s", c, stack(e));
    } else if (message == null || !(message.contains(setup.bucket()) || message.contains("'" + c.lock + "'"))) {
      // Useful = says where: the bucket (S3 failures) or the lock (e.g. Quartz's wait for a local thread).
      violation("(e) %s threw %s whose message names neither bucket nor lock: %s", c, e.getClass().getName(),
          message);
    }
  }

  /**
   * (d) A release without a store fault leaves the lock free (or kept until lockAtLeastUntil by its own write):
   * not the holder's lease current and held, as when an interrupted thread's release is aborted before it
   * writes.
   */
  private void checkReleases(List<Holding> holdings) {
    for (Holding h : holdings) {
      Call release = h.release;
      Rec lease = leaseOf(h);
      if (release == null || release.outcome == Outcome.PENDING || faulted(release) || lease == null
          || !appliedBy(release).isEmpty()) {
        continue;
      }
      Rec current = currentAt(release.lock, release.end);
      if (current != null && current.owner().equals(lease.owner())
          && current.untilGround() > release.end + estimateSlack()) {
        violation("(d) %s wrote nothing, without a store fault: the lock stays held by its holder until %s", release,
            ms(current.untilGround()));
      }
    }
  }

  /**
   * (a) No two holders of a lock work at one ground-truth instant within their valid leases. A holding ends
   * where an operator deleted its object.
   */
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
      Rec deletion = deletionAfter(lease.lock(), acquisitionOf(h).at());
      if (deletion != null && deletion.at() < interval[1]) {
        deletedUnderHolder++;
        interval[1] = deletion.at();
      }
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
  private void checkLiveness() {
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
      // A deleted object counts as its last record: a client sees a deletion only when it reads, and it need not
      // read a record it wrote itself (its own release) before that record has expired.
      Rec before = lastRecordAt(c.lock, c.start);
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
          .filter(r -> r.at() > lease.at() && !r.deleted() && !r.owner().equals(lease.owner()))
          .findFirst().orElse(null);
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
   * (f) A keep-alive that gives up while its lease is valid and its object untouched by others leaves a task
   * running without a lock that it could have kept. Returns {extends made, keep-alives that gave up}.
   */
  private long[] checkKeepAlive(List<Holding> holdings) {
    long made = 0;
    long ended = 0;
    for (Holding h : holdings) {
      Rec lease = leaseOf(h);
      for (Call e : h.extendCalls) {
        if (!e.keepAlive || e.outcome == Outcome.PENDING) {
          continue;
        }
        made++;
        if (e.outcome != Outcome.NEGATIVE && e.outcome != Outcome.THREW) {
          continue;
        }
        ended++;
        if (lease == null || interrupted(e)) {
          continue; // a phantom lease, reported by (d); an interrupt ends a keep-alive (executor shut down)
        }
        Rec current = currentAt(e.lock, e.end);
        if (current != null && current.owner().equals(lease.owner())
            && current.untilGround() - setup.holderMarginNanos() > e.end) {
          violation("(f) %s gave up while its lease was still valid (until %s) and nobody else had written the"
              + " object", e, ms(current.untilGround()));
        }
      }
    }
    return new long[] {made, ended};
  }

  /**
   * Figures of writes that landed after their client gave up: how many landed after their call had returned
   * (no call can recognise those), and for how long such a write kept its lock from everyone.
   */
  private Figures lateWrites(long keepAliveExtends, long keepAliveEnded, long interrupted) {
    long late = 0;
    long afterReturn = 0;
    long stranded = 0;
    long strandedNanos = 0;
    long longest = 0;
    long deletions = 0;
    for (List<Rec> recs : byLock.values()) {
      for (int i = 0; i < recs.size(); i++) {
        Rec r = recs.get(i);
        if (r.deleted()) {
          deletions += r.write().node() == InMemoryS3.OPERATOR ? 1 : 0;
          continue;
        }
        if (r.write().kind() != InMemoryS3.WriteKind.LATE_PUT) {
          continue;
        }
        late++;
        Call c = callOf(r);
        if (c == null || c.outcome == Outcome.PENDING || r.at() <= c.end) {
          continue;
        }
        afterReturn++;
        long until = i + 1 < recs.size() ? Math.min(recs.get(i + 1).at(), r.untilGround()) : r.untilGround();
        if (until > r.at()) {
          stranded++;
          strandedNanos += until - r.at();
          longest = Math.max(longest, until - r.at());
        }
      }
    }
    return new Figures(late, afterReturn, stranded, strandedNanos, longest, deletions, deletedUnderHolder,
        recreatedInWindow, keepAliveExtends, keepAliveEnded, interrupted);
  }

  /**
   * The lease a holder may rely on: the applied write of its last successful acquire or extend, cut short by
   * any later extend that did not report success but was applied. An extend may move lockUntil earlier, and
   * from the moment it is sent the holder cannot know whether it was applied; so while it runs, and after it
   * failed, the earlier of the two times is all the holder can rely on.
   */
  private Rec leaseOf(Holding h) {
    Call grant = h.grants.get(h.grants.size() - 1);
    List<Rec> recs = appliedBy(grant);
    if (recs.isEmpty()) {
      return null;
    }
    Rec lease = recs.get(recs.size() - 1);
    if (setup.renewedInBackground()) {
      // Quartz: a daemon thread renews the lease while it is held (writes without a lock call); the holder
      // relies on the newest renewal applied before it stopped working.
      for (Rec r : byLock.get(lease.lock())) {
        if (!r.deleted() && r.owner().equals(lease.owner()) && r.write().call() == Calls.NONE
            && r.at() <= h.workEnd && r.untilGround() > lease.untilGround()) {
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

  /** The write that started a holding: the last one its acquire applied before returning. */
  private Rec acquisitionOf(Holding h) {
    List<Rec> recs = appliedBy(h.acquire);
    return recs.isEmpty() ? leaseOf(h) : recs.get(recs.size() - 1);
  }

  /** The writes of a call applied by the time it returned (a late write may land after). */
  private List<Rec> appliedBy(Call c) {
    List<Rec> recs = byCall.getOrDefault(c.id, List.of());
    if (c.outcome == Outcome.PENDING || recs.isEmpty() || recs.get(recs.size() - 1).at() <= c.end) {
      return recs;
    }
    return recs.stream().filter(r -> r.at() <= c.end).toList();
  }

  private Call callOf(Rec r) {
    long id = r.write().call();
    return id >= 0 && id < calls.size() ? calls.get((int) id) : null;
  }

  /** When the acquisition that wrote {@code r} began: its token was computed no earlier. */
  private long startOf(Rec r) {
    Call c = callOf(r);
    return c == null ? r.at() : c.start;
  }

  private boolean faulted(Call c) {
    return setup.faultedCalls().contains(c.id);
  }

  private boolean interrupted(Call c) {
    return c.interruptedBefore || setup.interruptedCalls().contains(c.id);
  }

  private long slack(Call c) {
    // Server time: the estimate is good to 0.5 s + half a round trip, and the client waits 1 s more.
    return setup.serverTime() ? Timeline.millis(1500) + (c.end - c.start) : setup.clockBoundNanos();
  }

  /** How far a node's "now", as written into a record (a release's lockUntil), may be ahead of ground truth. */
  private long estimateSlack() {
    return setup.serverTime() ? Timeline.millis(1500) : setup.clockBoundNanos();
  }

  /** The record of {@code lock} the store held at {@code at}: its last write applied by then; null if none/deleted. */
  private Rec currentAt(String lock, long at) {
    List<Rec> recs = byLock.getOrDefault(lock, List.of());
    int after = firstAfter(recs, at);
    Rec last = after == 0 ? null : recs.get(after - 1);
    return last == null || last.deleted() ? null : last;
  }

  /** The last record of {@code lock} written by {@code at}, even if its object was deleted since; null if none. */
  private Rec lastRecordAt(String lock, long at) {
    List<Rec> recs = byLock.getOrDefault(lock, List.of());
    for (int i = firstAfter(recs, at) - 1; i >= 0; i--) {
      if (!recs.get(i).deleted()) {
        return recs.get(i);
      }
    }
    return null;
  }

  /** The first deletion of {@code lock}'s object after {@code at}, or null. */
  private Rec deletionAfter(String lock, long at) {
    List<Rec> recs = byLock.getOrDefault(lock, List.of());
    for (int i = firstAfter(recs, at); i < recs.size(); i++) {
      if (recs.get(i).deleted()) {
        return recs.get(i);
      }
    }
    return null;
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

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
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
