package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import org.quartz.impl.jdbcjobstore.LockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock names of one {@link S3Semaphore}, each a {@link Slot}, and the S3 leases it holds: renewed on a daemon
 * thread of their own while held, and reported when lost.
 *
 * <p>Lease affinity: a section (Quartz's {@code obtainLock} .. {@code releaseLock} on one thread) and the node's S3
 * lease of the lock name are separate. When a section ends, the lease is kept, and the next section of this node
 * starts on it without a request, as long as the lease has the margin a section needs. The lease goes back to S3
 * when no section has asked for {@code affinityIdleMillis} ({@link IdleHandBack}, on the renewal thread), at the
 * end of the first section after {@code affinityMaxHoldMillis} of this node's turn (then the node stays away from
 * S3 for a moment, so that a waiting node gets its turn), and when the scheduler shuts down. A section is always
 * exclusive within the JVM (the slot's {@link LocalLock}); nothing hands a lease back while a section runs or waits
 * for it.
 */
final class HeldLeases {

  // The public class's logger: users configure that name, and the lost-lease error is meant for them.
  private static final Logger log = LoggerFactory.getLogger(S3Semaphore.class);

  /** How long shutdown waits for a section that is still running, to hand its lease back afterwards. */
  private static final long CLOSE_WAIT_MILLIS = 1000;

  private final LockHandlerSettings settings;
  private final ConcurrentMap<String, Slot> slots = new ConcurrentHashMap<>();
  private final IdleHandBack idle;
  private volatile boolean closed;

  HeldLeases(LockHandlerSettings settings) {
    this.settings = settings;
    this.idle = new IdleHandBack(settings, slot -> handBack(slot, false));
  }

  /** The slot of {@code lockName}, made on first use. */
  Slot slot(String lockName) {
    return slots.computeIfAbsent(lockName, n -> new Slot(settings.schedName, n));
  }

  /**
   * Starts a section on the lease this node kept from an earlier one, without a request: by the thread that holds
   * the slot's local lock. Only on a lease with the margin of a fresh one ({@link
   * LockHandlerSettings#minimumLeaseLeftMillis()}), judged by {@link S3LockClient#timeLeft}: the latest the store's
   * clock can be, so a lease that may have run out counts as gone whatever the renewer has seen. A lease the
   * renewer found lost is null here. A lease without the margin (renewals failing or late) is handed back and the
   * caller takes the lock from S3.
   *
   * @return true when the section runs on the kept lease
   */
  boolean grantOnKeptLease(Slot slot) {
    Lease lease = slot.lease;
    if (lease == null) {
      return false;
    }
    if (slot.client.timeLeft(lease).toMillis() >= settings.minimumLeaseLeftMillis()) {
      return true;
    }
    log.debug("Quartz lock '{}' of scheduler '{}': kept lease has less than {} ms left; taking the lock anew",
        lease.name(), settings.schedName, settings.minimumLeaseLeftMillis());
    handBack(slot, false);
    return false;
  }

  /**
   * After a bounded hold, waits until the others have had their chance; by the thread that holds the slot's local
   * lock, so that the node's other threads wait behind it.
   */
  void awaitTurn(Slot slot, long deadlineNanos, DeferredInterrupt interrupt) {
    long until;
    synchronized (slot.turn) {
      if (!slot.turn.yielding) {
        return;
      }
      slot.turn.yielding = false;
      until = slot.turn.yieldUntilNanos;
    }
    interrupt.sleepUntil(Math.min(until, deadlineNanos));
  }

  /**
   * Records {@code lease}, just taken through {@code client} by the thread that holds the slot, and renews it. False
   * when a shutdown has stopped the slot's renewals meanwhile: the caller gives the lease back.
   */
  boolean hold(Slot slot, S3LockClient client, Lease lease) {
    long every = settings.renewalIntervalMillis();
    synchronized (slot) {
      try {
        slot.renewal = slot.renewer.scheduleWithFixedDelay(() -> renew(slot), every, every, MILLISECONDS);
      } catch (RejectedExecutionException e) {
        return false;
      }
      slot.client = client;
      slot.lease = lease;
    }
    long now = System.nanoTime();
    synchronized (slot.turn) {
      Slot.Turn t = slot.turn;
      // Taken again soon after an idle hand-back, the lock continues this node's turn: the others had no real
      // chance in between, and a node that pauses briefly between bursts must not reset its bounded hold. After a
      // lost lease (someone else has had the lock) or on first use, a new turn begins.
      if (!t.handedBack || now - t.handedBackNanos >= t.chanceNanos) {
        t.startedNanos = now;
      }
      t.handedBack = false;
      t.lastUseNanos = now;
    }
    return true;
  }

  /**
   * Throws unless the slot's lease is still ours by its own lockUntil (store time): Quartz re-enters to continue the
   * section it holds (retrying a failed commit), and once the lease has run out another node may hold the lock,
   * whether or not the renewer has noticed yet. The owner thread only.
   */
  void requireLease(Slot slot, String lockName) throws LockException {
    Lease lease = slot.lease;
    if (lease != null && slot.client.now().isBefore(lease.lockUntil())) {
      return;
    }
    throw new LockException("Quartz lock '" + lockName + "' of scheduler '" + settings.schedName + "' was lost"
        + " while this thread held it (" + (lease == null ? "the renewer found it taken or run out"
        : "its lease ran out at " + lease.lockUntil()) + "); another node may hold it now, so the section cannot"
        + " continue on it");
  }

  /** On the slot's renewer thread. Runs under the slot's monitor, so a release never overlaps an extend. */
  private void renew(Slot slot) {
    synchronized (slot) {
      Lease lease = slot.lease;
      if (lease == null) {
        return;
      }
      try {
        var extended = slot.client.extend(lease, settings.clock.instant().plusMillis(settings.leaseMillis));
        if (extended.isPresent()) {
          slot.lease = extended.get();
          return;
        }
        stopHolding(slot);
        logLost(slot.client, lease);
      } catch (RuntimeException e) {
        // S3 unavailable (or the client closed): keep the lease and try again next period; once it has expired,
        // extend answers empty without a request and the loss is reported above. Never let the task die.
        log.warn("Could not renew Quartz lock '{}' (held until {}): {}", lease.name(), lease.lockUntil(),
            e.toString());
      }
    }
  }

  /** {@link S3Semaphore#releaseLock}: one level of nesting, and the section with the last one. */
  void release(String lockName) {
    Slot slot = slots.get(lockName);
    LocalLock.Hold hold = slot == null ? null : slot.local.ofCurrentThread();
    if (hold == null) {
      // Quartz 2.5.2 doCheckin may release a lock this thread never obtained: nothing to do.
      log.debug("Quartz lock '{}' is not held by this thread; release ignored", lockName);
      return;
    }
    if (slot.local.leave(hold)) {
      return;
    }
    // JobStoreCMT releases before the caller's transaction commits; other nodes, and the other threads of this
    // node, must not see the protected rows half-written, so under a Spring transaction the section ends after it
    // completes, on whichever thread completes it. Until then no local grant and no hand-back can happen either.
    if (SpringTransactions.runAfterCompletion(() -> endSection(slot, hold))) {
      slot.local.deferEnd(hold);
      return;
    }
    endSection(slot, hold);
  }

  /**
   * Ends the section {@code hold}: keeps the lease for the next section, or hands it back to S3 (affinity off, the
   * scheduler shut down, the turn's bounded hold reached, or too little lease left); then frees the local lock. On
   * any thread, at most once per hold.
   */
  private void endSection(Slot slot, LocalLock.Hold hold) {
    if (!slot.local.claimEnd(hold)) {
      return; // Already ended (a transaction completed twice): the lease may be someone else's by now.
    }
    try {
      Lease lease = slot.lease;
      if (lease == null) {
        return; // Lost while held: already reported.
      }
      if (!settings.affinity() || closed) {
        handBack(slot, false);
        return;
      }
      long now = System.nanoTime();
      boolean turnOver;
      synchronized (slot.turn) {
        turnOver = now - slot.turn.startedNanos >= MILLISECONDS.toNanos(settings.affinityMaxHoldMillis);
      }
      if (turnOver) {
        handBack(slot, true);
      } else if (slot.client.timeLeft(lease).toMillis() < settings.minimumLeaseLeftMillis()) {
        handBack(slot, false); // No use for a section any more: free it now rather than when a section asks.
      } else {
        idle.keep(slot, now);
      }
    } finally {
      slot.local.unlock(hold);
    }
  }

  /**
   * Gives the slot's lease back to S3, by a thread that holds the slot's local lock (or ends its section), so that
   * no section can start on it meanwhile. {@code yield}: the turn's bounded hold was reached, so this node stays
   * away from S3 until a waiting node has had the chance to see the lock free.
   */
  private void handBack(Slot slot, boolean yield) {
    Lease lease;
    S3LockClient client;
    synchronized (slot) {
      lease = slot.lease;
      client = slot.client;
      stopHolding(slot);
    }
    if (lease == null) {
      return; // Lost meanwhile: already reported.
    }
    long started = System.nanoTime();
    releaseInS3(client, lease);
    long ended = System.nanoTime();
    synchronized (slot.turn) {
      Slot.Turn t = slot.turn;
      t.handedBack = true;
      t.handedBackNanos = ended;
      t.chanceNanos = MILLISECONDS.toNanos(settings.chanceMillis(NANOSECONDS.toMillis(ended - started)));
      if (yield) {
        t.yielding = true;
        t.yieldUntilNanos = ended + t.chanceNanos;
      }
    }
  }

  private void releaseInS3(S3LockClient client, Lease lease) {
    // On an interrupted thread too (Quartz interrupts its scheduler thread on shutdown): the core releases with
    // the interrupt put aside and sets the flag again.
    try {
      if (!client.release(lease, settings.clock.instant())) {
        logLost(client, lease);
      }
    } catch (S3LockException e) {
      log.warn("Could not release Quartz lock '{}'; it frees itself at {}: {}", lease.name(), lease.lockUntil(),
          e.getMessage());
    } catch (RuntimeException e) {
      if (!closed) {
        throw e;
      }
      // A section that outlived its scheduler's shutdown (a job still running after shutdown(false)): the S3
      // client built from the properties is closed, and the SDK refuses requests (RejectedExecutionException
      // from its timeout scheduler, IllegalStateException from the Apache connection pool).
      log.warn("Could not release Quartz lock '{}' after scheduler '{}' shut down; it frees itself at {}: {}",
          lease.name(), settings.schedName, lease.lockUntil(), e.toString());
    }
  }

  private static void stopHolding(Slot slot) {
    slot.lease = null;
    if (slot.renewal != null) {
      slot.renewal.cancel(false);
      slot.renewal = null;
    }
  }

  private void logLost(S3LockClient client, Lease lease) {
    String holder;
    try {
      holder = client.read(lease.name()).map(r -> "'" + r.lockedBy() + "' (token " + r.token() + ") until "
          + r.lockUntil()).orElse("nobody (object deleted)");
    } catch (RuntimeException e) {
      holder = "unknown (" + e.getMessage() + ")";
    }
    log.error("Lost Quartz lock '{}' of scheduler '{}' while holding it (token {}); it is now held by {}. Another"
        + " node may have run the same section concurrently: a pause (GC, stalled commit, unreachable S3) outlasted"
        + " leaseMillis={}", lease.name(), settings.schedName, lease.token(), holder, settings.leaseMillis);
  }

  /**
   * A section running at shutdown, or a thread still waiting for the lock (Quartz's scheduler thread, interrupted
   * by the shutdown, waits on: see {@link DeferredInterrupt}), gets one turn of the node that holds it plus a retry
   * to finish; after that the slot stops and the waiting thread gives up.
   */
  private long drainDeadlineNanos() {
    return System.nanoTime()
        + MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS + settings.affinityMaxHoldMillis + settings.maxRetryIntervalMillis);
  }

  /** See {@link S3Semaphore#awaitWaitingThreads()}: takes each slot's local lock once, in turn, and lets it go. */
  void awaitSections() {
    try (DeferredInterrupt interrupt = new DeferredInterrupt()) {
      for (Slot slot : slots.values()) {
        LocalLock.Hold hold = slot.local.tryLockUntil(drainDeadlineNanos(), interrupt);
        if (hold != null) {
          slot.local.unlock(hold);
        }
      }
    }
  }

  /**
   * See {@link S3Semaphore#close()}: hands back every lease kept between sections (waiting until
   * {@link #drainDeadlineNanos()} for a section still running or a thread still waiting; a section that runs
   * longer hands its lease back when it ends), then stops the renewals. Runs before the S3 client is closed.
   */
  void close() {
    closed = true;
    try (DeferredInterrupt interrupt = new DeferredInterrupt()) {
      for (Slot slot : slots.values()) {
        LocalLock.Hold hold = slot.local.tryLockUntil(drainDeadlineNanos(), interrupt);
        try {
          if (hold != null) {
            handBack(slot, false);
          }
        } finally {
          if (hold != null) {
            slot.local.unlock(hold);
          }
        }
        slot.renewer.shutdown();
      }
    }
  }

  /** See {@link S3Semaphore#stopRenewing()}. */
  void stopRenewing() {
    slots.values().forEach(slot -> slot.renewer.shutdownNow());
  }

  /** See {@link S3Semaphore#holdCount(String)}. */
  int holdCount(String lockName) {
    Slot slot = slots.get(lockName);
    return slot == null ? 0 : slot.local.depthOfCurrentThread();
  }

  /** Whether this node holds {@code lockName}'s lease in S3 (in a section or kept between sections); for tests. */
  boolean holdsLease(String lockName) {
    Slot slot = slots.get(lockName);
    return slot != null && slot.lease != null;
  }
}
