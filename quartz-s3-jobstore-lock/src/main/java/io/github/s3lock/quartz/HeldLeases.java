package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.quartz.impl.jdbcjobstore.LockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock names of one {@link S3Semaphore}, each a {@link Slot}, and the S3 leases it holds: renewed every third
 * of {@code leaseMillis} on a daemon thread of their own while held, released when Quartz is done with them (after
 * the Spring transaction, if there is one), and reported when lost.
 */
final class HeldLeases {

  // The public class's logger: users configure that name, and the lost-lease error is meant for them.
  private static final Logger log = LoggerFactory.getLogger(S3Semaphore.class);

  private final LockHandlerSettings settings;
  private final ConcurrentMap<String, Slot> slots = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One lock name: the in-JVM lock (its depth = Quartz's nesting) and, while held, the S3 lease. */
  static final class Slot {
    final LocalLock local = new LocalLock();
    // Written under this; volatile so that a re-entry can check the lease while a renewal holds the monitor.
    volatile Lease lease; // null when not held in S3
    volatile S3LockClient client; // the client that took the lease, which renews and releases it
    ScheduledFuture<?> renewal; // guarded by this
    // Its own thread: a renewal that hangs in S3 (until the client's timeout, or for ever with a client that has
    // none) must not hold up the renewal of the other lock name, whose lease would then run out as well.
    final ScheduledThreadPoolExecutor renewer;

    Slot(String schedName, String lockName) {
      renewer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "s3-semaphore-renewer-" + schedName + "-" + lockName);
        t.setDaemon(true);
        return t;
      });
      // Quartz tells lock handlers nothing at shutdown (the plugin is optional): the idle thread ends by itself.
      renewer.setKeepAliveTime(10, SECONDS);
      renewer.allowCoreThreadTimeOut(true);
      renewer.setRemoveOnCancelPolicy(true);
    }
  }

  HeldLeases(LockHandlerSettings settings) {
    this.settings = settings;
  }

  /** The slot of {@code lockName}, made on first use. */
  Slot slot(String lockName) {
    return slots.computeIfAbsent(lockName, n -> new Slot(settings.schedName, n));
  }

  /** Records {@code lease}, just taken through {@code client} by the thread that holds the slot, and renews it. */
  void hold(Slot slot, S3LockClient client, Lease lease) {
    long every = settings.renewalPeriodMillis();
    synchronized (slot) {
      slot.client = client;
      slot.lease = lease;
      slot.renewal = slot.renewer.scheduleWithFixedDelay(() -> renew(slot), every, every, MILLISECONDS);
    }
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

  /** {@link S3Semaphore#releaseLock}: one level of nesting, and the S3 lease with the last one. */
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
    // JobStoreCMT releases before the caller's transaction commits; other nodes must not see the protected
    // rows half-written, so under a Spring transaction the lock is released after it completes, on whichever
    // thread completes it.
    if (SpringTransactions.runAfterCompletion(() -> releaseNow(slot, hold))) {
      slot.local.deferEnd(hold);
      return;
    }
    releaseNow(slot, hold);
  }

  /** Ends {@code hold}: its S3 lease, then the local lock. On any thread, at most once per hold. */
  private void releaseNow(Slot slot, LocalLock.Hold hold) {
    if (!slot.local.claimEnd(hold)) {
      return; // Already ended (a transaction completed twice): the lease may be someone else's by now.
    }
    try {
      Lease lease;
      S3LockClient client;
      synchronized (slot) {
        lease = slot.lease;
        client = slot.client;
        stopHolding(slot);
      }
      if (lease == null) {
        return; // Lost while held: already reported.
      }
      // Quartz interrupts its scheduler thread on shutdown, and the SDK aborts requests of an interrupted
      // thread: release first, so the other nodes need not wait out the lease, then restore the flag.
      boolean interrupted = Thread.interrupted();
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
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      slot.local.unlock(hold);
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

  /** See {@link S3Semaphore#close()}: renewals in flight finish, no new ones start. */
  void close() {
    closed = true;
    slots.values().forEach(slot -> slot.renewer.shutdown());
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
}
