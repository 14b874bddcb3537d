package io.github.s3lock.simulation;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.shedlock.S3LockProvider;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;

/** The lock API a simulated node uses: the ShedLock provider or the core client, each unchanged. */
interface NodeLocks {

  Optional<Held> acquire(String name, Duration lockAtMostFor, Duration lockAtLeastFor);

  /** A held lock. */
  interface Held {
    /** Empty when the lease was lost (or had expired). */
    Optional<Held> extend(Duration lockAtMostFor);

    History.Outcome release();
  }

  /** Through ShedLock's API: {@code lock}, {@code SimpleLock.extend}, {@code SimpleLock.unlock}. */
  static NodeLocks shedLock(S3LockProvider provider, InstantSource clock) {
    return (name, atMost, atLeast) -> provider.lock(new LockConfiguration(clock.instant(), name, atMost, atLeast))
        .map(ShedLockHeld::new);
  }

  /** Through the core API, whose release and extend report whether the lease was still ours. */
  static NodeLocks core(S3LockClient client, InstantSource clock) {
    return (name, atMost, atLeast) -> {
      Instant now = clock.instant();
      return client.tryAcquire(name, now.plus(atMost)).map(l -> new CoreHeld(client, clock, l, now.plus(atLeast)));
    };
  }

  record ShedLockHeld(SimpleLock lock) implements Held {
    @Override
    public Optional<Held> extend(Duration lockAtMostFor) {
      return lock.extend(lockAtMostFor, Duration.ZERO).map(ShedLockHeld::new);
    }

    @Override
    public History.Outcome release() {
      lock.unlock(); // ShedLock's unlock does not say whether the lock was still ours
      return History.Outcome.UNREPORTED;
    }
  }

  record CoreHeld(S3LockClient client, InstantSource clock, Lease lease, Instant lockAtLeastUntil) implements Held {
    @Override
    public Optional<Held> extend(Duration lockAtMostFor) {
      return client.extend(lease, clock.instant().plus(lockAtMostFor))
          .map(l -> new CoreHeld(client, clock, l, lockAtLeastUntil));
    }

    @Override
    public History.Outcome release() {
      return client.release(lease, lockAtLeastUntil) ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE;
    }
  }
}
