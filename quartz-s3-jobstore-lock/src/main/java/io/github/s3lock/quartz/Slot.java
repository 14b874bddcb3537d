package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.SECONDS;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * One lock name of a {@link HeldLeases}: the in-JVM lock (its depth = Quartz's nesting) and, while held, the S3
 * lease.
 */
final class Slot {
  final LocalLock local = new LocalLock();
  // Written under this; volatile so that a section can check the lease while a renewal holds the monitor.
  volatile Lease lease; // null when not held in S3
  volatile S3LockClient client; // the client that took the lease, which renews and releases it
  ScheduledFuture<?> renewal; // guarded by this
  // Its own thread: a renewal that hangs in S3 (until the client's timeout, or for ever with a client that has
  // none) must not hold up the renewal of the other lock name, whose lease would then run out as well.
  final ScheduledThreadPoolExecutor renewer;
  /** This node's turn with the lock: guarded by itself, never by the slot, which a renewal holds during I/O. */
  final Turn turn = new Turn();

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
    renewer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Times on {@code System.nanoTime()}, so that a wall-clock step cannot stretch a turn or skip a yield. */
  static final class Turn {
  long startedNanos; // when this node's current turn with the lock began
    long lastUseNanos; // the end of the latest section on the kept lease
    boolean handedBack; // the last lease went back to S3 at handedBackNanos (false: never held, or lost)
    long handedBackNanos;
    long chanceNanos; // how long after handedBackNanos the others had a fair chance
    long yieldUntilNanos; // after a bounded hold: no S3 attempt before this
    boolean yielding;
    ScheduledFuture<?> idleCheck;
  }
}
