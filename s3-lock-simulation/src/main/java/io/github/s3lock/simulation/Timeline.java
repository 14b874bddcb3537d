package io.github.s3lock.simulation;

import java.time.Instant;

/**
 * Ground-truth time for a run: virtual (the simulation's {@code FiberScheduler}) in the simulation, the system
 * clock when real threads drive the code (the Quartz semaphore renews on its own threads and sleeps in real time).
 */
interface Timeline {

  /** Ground-truth instants are {@code EPOCH + nanos}; a fixed, far-future epoch keeps runs reproducible. */
  Instant EPOCH = Instant.parse("2031-01-01T00:00:00Z");

  long nanos();

  /** Lets ground-truth time pass for the calling thread (a request on the wire, a task at work, a GC stall). */
  void sleep(long nanos);

  /**
   * Runs {@code action} {@code delayNanos} from now, apart from the calling thread (a request stuck in a queue
   * that the store applies later). In virtual time it runs atomically, like everything between two sleeps.
   */
  void later(String name, long delayNanos, Runnable action);

  default Instant instant() {
    return EPOCH.plusNanos(nanos());
  }

  static long millis(long ms) {
    return ms * 1_000_000L;
  }
}
