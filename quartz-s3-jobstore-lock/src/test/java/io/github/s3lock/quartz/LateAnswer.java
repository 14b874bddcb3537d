package io.github.s3lock.quartz;

import io.github.s3lock.testing.MovableClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * The answer to the next PUT of one lock name arrives {@code late} after the store applied it, by a clock the test
 * moves (a stalled connection, the SDK's retries or a GC pause, without waiting for it).
 */
final class LateAnswer implements ExecutionInterceptor {

  private final MovableClock clock;
  private final String keySuffix;
  private final Duration late;
  private final AtomicBoolean armed = new AtomicBoolean(true);

  LateAnswer(MovableClock clock, String lockName, Duration late) {
    this.clock = clock;
    this.keySuffix = "/" + lockName;
    this.late = late;
  }

  boolean happened() {
    return !armed.get();
  }

  @Override
  public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
    if (context.httpRequest().method() == SdkHttpMethod.PUT
        && context.httpRequest().encodedPath().endsWith(keySuffix) && armed.compareAndSet(true, false)) {
      clock.advance(late);
    }
  }
}
