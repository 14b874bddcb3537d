package io.github.s3lock.simulation;

import java.time.Instant;
import java.util.concurrent.locks.LockSupport;

/** Ground truth for runs on real threads: the system clock, read monotonically from the run's start. */
final class RealTimeline implements Timeline {

  private final Instant start = Instant.now();
  private final long startNanos = System.nanoTime();

  @Override
  public long nanos() {
    return System.nanoTime() - startNanos;
  }

  @Override
  public void sleep(long nanos) {
    LockSupport.parkNanos(nanos);
  }

  @Override
  public void later(String name, long delayNanos, Runnable action) {
    Thread t = new Thread(() -> {
      sleep(delayNanos);
      action.run();
    }, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public Instant instant() {
    return start.plusNanos(nanos());
  }

  Instant start() {
    return start;
  }
}
