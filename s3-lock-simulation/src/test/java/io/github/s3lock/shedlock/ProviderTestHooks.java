package io.github.s3lock.shedlock;

import java.time.InstantSource;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * The package-private test hooks of {@link S3LockProvider.Builder}, for the simulation (another package): each
 * simulated node has its own wall clock, which steps, and its own monotonic clock, which does not.
 */
public final class ProviderTestHooks {

  private ProviderTestHooks() {}

  /** The node's wall clock (ShedLock's lockAtMostUntil is computed with it) and monotonic clock, in nanoseconds. */
  public static S3LockProvider.Builder clocks(S3LockProvider.Builder builder, InstantSource clock,
      LongSupplier ticker) {
    return builder.clock(clock).ticker(ticker);
  }

  /**
   * How the provider waits between the rounds of an extension that S3 failed: in the simulation, a sleep in
   * virtual time (a real sleep would stop the world without letting virtual time pass).
   */
  public static S3LockProvider.Builder extendRetryPause(S3LockProvider.Builder builder, LongConsumer pauseNanos) {
    return builder.extendRetryPause(pauseNanos);
  }
}
