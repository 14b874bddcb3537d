package io.github.s3lock.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that a test moves by hand, so that leases expire when the test says so, not when a loaded machine gets
 * there. Pass it to {@code S3LockClient.builder().clock(...)}, or to ShedLock's {@code ClockProvider.setClock}.
 */
public final class MovableClock extends Clock {

  private final InstantSource base;
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  private MovableClock(InstantSource base) {
    this.base = base;
  }

  /**
   * Stands still at {@code start} until moved.
   *
   * @param start the instant it shows until the first {@link #advance}
   * @return a clock that moves only when the test moves it
   */
  public static MovableClock frozenAt(Instant start) {
    return new MovableClock(InstantSource.fixed(start));
  }

  /**
   * Runs with the system clock, ahead of it by however far it has been moved.
   *
   * @return a clock that shows system time (in UTC) until moved
   */
  public static MovableClock followingSystemTime() {
    return new MovableClock(Clock.systemUTC());
  }

  /**
   * Moves the clock on; moves add up. Thread-safe, so a test can move it while locks are taken on other threads.
   *
   * @param by how far to move it; a negative duration moves it back
   */
  public void advance(Duration by) {
    offset.updateAndGet(o -> o.plus(by));
  }

  @Override
  public Instant instant() {
    return base.instant().plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
