package io.github.s3lock.spring;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The lock store's health: one GET of a key no lock uses ({@link LockStoreCheck#read()}), UP when the store
 * answered (bucket there, credentials accepted), DOWN with the core's message (which names the cause and the fix)
 * otherwise. The answer is reused for {@code s3lock.health.time-to-live}, so a health endpoint polled every few
 * seconds costs one GET per period (0.0004 USD per 1,000 at S3 Standard prices).
 */
final class S3LockHealthIndicator implements HealthIndicator {

  private record Checked(Health health, long atNanos) {}

  private final LockStoreCheck check;
  private final long timeToLiveNanos;
  private final LongSupplier nanoTime;
  private volatile Checked last;

  S3LockHealthIndicator(LockStoreCheck check, Duration timeToLive) {
    this(check, timeToLive, System::nanoTime);
  }

  S3LockHealthIndicator(LockStoreCheck check, Duration timeToLive, LongSupplier nanoTime) {
    this.check = check;
    this.timeToLiveNanos = timeToLive.toNanos();
    this.nanoTime = nanoTime;
  }

  @Override
  public Health health() {
    Checked cached = last;
    if (cached != null && nanoTime.getAsLong() - cached.atNanos() < timeToLiveNanos) {
      return cached.health();
    }
    synchronized (this) {
      cached = last;
      if (cached == null || nanoTime.getAsLong() - cached.atNanos() >= timeToLiveNanos) {
        long at = nanoTime.getAsLong();
        cached = new Checked(checkNow(), at);
        last = cached;
      }
      return cached.health();
    }
  }

  private Health checkNow() {
    LockStoreCheck.Outcome outcome = check.read();
    Health.Builder health = outcome.passed() ? Health.up() : Health.down();
    return health.withDetail("store", check.where())
        .withDetail(outcome.passed() ? "answer" : "error", outcome.message())
        .withDetail("checkedAt", Instant.now().toString())
        .build();
  }
}
