package io.github.s3lock.benchmarks;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Waits before every request goes out, to model the round trip of a remote S3 (about 10 ms to S3 Express One
 * Zone, 20-60 ms to S3 Standard) on top of a loopback server.
 */
final class AddedLatency implements ExecutionInterceptor {
  private final long millis;

  AddedLatency(long millis) {
    this.millis = millis;
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
