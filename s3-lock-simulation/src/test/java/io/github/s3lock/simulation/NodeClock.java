package io.github.s3lock.simulation;

import java.time.Instant;
import java.time.InstantSource;

/**
 * A simulated node's two clocks. The wall clock ({@link #instant()}) is ground truth plus an offset, a drift and
 * every step it took (an NTP step, a VM resumed after a pause, an operator); the monotonic clock
 * ({@link #tickerNanos()}, {@code System.nanoTime()} to the code under test) drifts with it but never steps.
 */
final class NodeClock implements InstantSource {

  private final Timeline ground;
  private final long offsetNanos;
  private final double drift;
  private final long tickerOrigin;
  private volatile long steppedNanos;

  NodeClock(Timeline ground, long offsetNanos, double drift, long tickerOrigin) {
    this.ground = ground;
    this.offsetNanos = offsetNanos;
    this.drift = drift;
    this.tickerOrigin = tickerOrigin;
  }

  @Override
  public Instant instant() {
    return Timeline.EPOCH.plusNanos(ground.nanos() + errorNanos());
  }

  /** The wall clock minus ground truth, now. */
  long errorNanos() {
    long t = ground.nanos();
    return offsetNanos + (long) (t * drift) + steppedNanos;
  }

  /** The error this clock will have at ground time {@code t} if it takes no further step. */
  long errorAt(long t) {
    return offsetNanos + (long) (t * drift) + steppedNanos;
  }

  /** The monotonic clock: elapsed ground time with this node's drift, from an arbitrary origin. */
  long tickerNanos() {
    long t = ground.nanos();
    return tickerOrigin + t + (long) (t * drift);
  }

  /**
   * A monotonic clock that is not: it follows the wall clock, steps included. Carrying store-time bounds on it
   * is what {@code StoreClock} did before it took a ticker (before commit 640af59).
   */
  long wallClockAsTickerNanos() {
    long t = ground.nanos();
    return tickerOrigin + t + errorNanos();
  }

  /** Steps the wall clock by {@code nanos} (either way); the monotonic clock does not notice. */
  void step(long nanos) {
    steppedNanos += nanos;
  }
}
