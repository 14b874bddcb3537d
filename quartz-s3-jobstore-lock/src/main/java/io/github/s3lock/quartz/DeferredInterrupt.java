package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

/**
 * An interrupt put aside while a wait for a Quartz lock goes on, and set again when the wait ends, however it ends.
 *
 * <p>Why not end the wait: with the row lock, an interrupt does not end Quartz's {@code SELECT ... FOR UPDATE}
 * either, and Quartz 2.5 interrupts its scheduler thread at every shutdown ({@code QuartzSchedulerThread.halt}).
 * Thrown there, a {@code LockException} is logged as an ERROR ("An error occurred while scanning for the next
 * triggers to fire") although nothing went wrong; waiting on, the thread gets the lock, sees the halt and ends,
 * while {@link S3SemaphoreShutdownPlugin} holds the job store's shutdown back for it. The wait stays bounded by
 * {@code acquireTimeoutMillis}, and closing the lock handler ends it (see {@link HeldLeases#close()}).
 */
final class DeferredInterrupt implements AutoCloseable {

  private boolean interrupted = Thread.interrupted();

  /** Takes an interrupt that has arrived (e.g. the one the core set again after an interrupted request). */
  void collect() {
    if (Thread.interrupted()) {
      interrupted = true;
    }
  }

  /** Records an interrupt that ended a blocking call. */
  void arrived() {
    interrupted = true;
  }

  /** Sleeps until {@code nanoTime} (System.nanoTime), through interrupts. */
  void sleepUntil(long nanoTime) {
    for (long left = nanoTime - System.nanoTime(); left > 0; left = nanoTime - System.nanoTime()) {
      try {
        NANOSECONDS.sleep(left);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  /** Sets the interrupt flag again if an interrupt was put aside. */
  @Override
  public void close() {
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
