package io.github.s3lock.shedlock;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import net.javacrumbs.shedlock.core.ClockProvider;

/**
 * ShedLock's clock, moved by hand for a test: expiry is then decided by the test, not by how fast a loaded
 * machine runs. Installed with {@link #install()}; {@link #close()} puts the system clock back.
 */
final class MovedClock extends Clock implements AutoCloseable {
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);
  private final Instant frozenAt = Instant.now();

  static MovedClock install() {
    MovedClock clock = new MovedClock();
    ClockProvider.setClock(clock);
    return clock;
  }

  void advance(Duration d) {
    offset.updateAndGet(o -> o.plus(d));
  }

  @Override
  public Instant instant() {
    return frozenAt.plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public void close() {
    ClockProvider.setClock(Clock.systemUTC());
  }
}
