package io.github.s3lock.shedlock;

import java.time.InstantSource;
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
}
