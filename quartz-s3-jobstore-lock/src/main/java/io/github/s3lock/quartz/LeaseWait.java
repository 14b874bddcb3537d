package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.quartz.impl.jdbcjobstore.LockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for a lock's lease in S3 for a section, by the thread that holds the slot's local lock: asks, backs off
 * with full jitter while another node holds it or S3 is unavailable, and gives back a lease that arrived with too
 * little time left for a section; until the deadline, or until a shutdown has stopped the slot.
 */
final class LeaseWait {

  /** The first back-off; it doubles up to {@code maxRetryIntervalMillis}. */
  static final long FIRST_BACKOFF_MILLIS = 10;

  // The public class's logger: users configure that name.
  private static final Logger log = LoggerFactory.getLogger(S3Semaphore.class);

  private final LockHandlerSettings settings;
  private final HeldLeases leases;

  LeaseWait(LockHandlerSettings settings, HeldLeases leases) {
    this.settings = settings;
    this.leases = leases;
  }

  /** Takes the lease and hands it to {@link HeldLeases#hold}; throws when it cannot before {@code deadline}. */
  void acquire(S3LockClient locks, Slot slot, String lockName, long deadline, DeferredInterrupt interrupt)
      throws LockException {
    long backoff = FIRST_BACKOFF_MILLIS;
    S3LockException lastFailure = null;
    boolean lastLeaseTooShort = false;
    while (true) {
      if (slot.renewer.isShutdown()) {
        throw S3Semaphore.shutDown(lockName, settings.schedName);
      }
      try {
        var lease = locks.tryAcquire(lockName, settings.clock.instant().plusMillis(settings.leaseMillis));
        if (lease.isPresent()) {
          // Judged in store time, as lockUntil is written (S3LockClient.now(): the store's clock in SERVER mode).
          // Not by timeLeft (the latest the store's clock can be), as a kept lease is: in server time that bound
          // sits a whole round trip and more ahead, and with short leases every fresh one would be given back
          // (QuartzSimulationTest, server time, 1 s lease: 4 and 14 sections in 15 s, against 48 with this).
          long leftMillis = Duration.between(locks.now(), lease.get().lockUntil()).toMillis();
          if (leftMillis >= settings.minimumLeaseLeftMillis() && leases.hold(slot, locks, lease.get())) {
            return;
          }
          if (leftMillis >= settings.minimumLeaseLeftMillis()) {
            giveBack(locks, lease.get()); // The scheduler shut down meanwhile: its renewals have stopped.
            throw S3Semaphore.shutDown(lockName, settings.schedName);
          }
          log.warn("Quartz lock '{}' of scheduler '{}' arrived with {} ms of its {} ms lease left (S3 or this JVM was"
              + " slow); giving it back and trying again", lockName, settings.schedName, leftMillis,
              settings.leaseMillis);
          giveBack(locks, lease.get());
          lastLeaseTooShort = true;
        } else {
          lastLeaseTooShort = false;
        }
        lastFailure = null;
      } catch (S3LockException e) {
        if (e.kind() == S3LockException.Kind.INTERRUPTED) {
          // The core has undone an acquiring write that was applied, and set the flag again: wait on.
          interrupt.collect();
        } else if (e.kind() != S3LockException.Kind.UNAVAILABLE) {
          throw new LockException("Cannot take Quartz lock '" + lockName + "' of scheduler '" + settings.schedName
              + "': " + e.getMessage(), e);
        } else {
          lastFailure = e; // Unreachable S3: keep trying until the deadline; Quartz runs nothing meanwhile.
        }
      }
      long remainingMillis = NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (remainingMillis <= 0) {
        throw new LockException("Timed out after " + settings.acquireTimeoutMillis + " ms waiting for Quartz lock '"
            + lockName + "' (s3://" + settings.bucket + "/" + locks.keyFor(lockName) + "): " + (lastFailure != null
            ? "S3 is unavailable: " + lastFailure.getMessage() : lastLeaseTooShort
            ? "S3 answered too slowly: each lease arrived with less than " + settings.minimumLeaseLeftMillis()
                + " ms left" : "another node holds it"), lastFailure);
      }
      // Full jitter, so that the nodes waiting for one release do not all ask at the same moment.
      long sleep = Math.min(remainingMillis, ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
      interrupt.sleepUntil(System.nanoTime() + MILLISECONDS.toNanos(Math.max(1, sleep)));
      backoff = Math.min(backoff * 2, settings.maxRetryIntervalMillis);
    }
  }

  /** A lease that cannot start a section: released, so that nobody waits for it. */
  private void giveBack(S3LockClient locks, Lease lease) {
    try {
      locks.release(lease, settings.clock.instant());
    } catch (S3LockException e) {
      // It runs out by itself; an interrupt the release saw is taken by the back-off that follows.
      log.debug("Could not give back Quartz lock '{}': {}", lease.name(), e.getMessage());
    }
  }
}
