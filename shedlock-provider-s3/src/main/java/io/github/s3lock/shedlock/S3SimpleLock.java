package io.github.s3lock.shedlock;

import io.github.s3lock.core.Lease;
import java.util.Optional;
import net.javacrumbs.shedlock.core.AbstractSimpleLock;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;

/**
 * One held lock. {@link AbstractSimpleLock} gives ShedLock's lifecycle: after {@code unlock()} or
 * {@code extend()} this object is spent and both throw {@link IllegalStateException}; a successful extend
 * returns a new lock that carries the new lease (the core's old lease is spent too, its ETag is gone).
 */
final class S3SimpleLock extends AbstractSimpleLock {

  private final Lease lease;
  private final HeldLocks.Holding holding;
  private final S3LockProvider provider;

  S3SimpleLock(LockConfiguration configuration, Lease lease, HeldLocks.Holding holding, S3LockProvider provider) {
    super(configuration);
    this.lease = lease;
    this.holding = holding;
    this.provider = provider;
  }

  /**
   * Keeps the lock until {@code lockAtLeastUntil} if that is still ahead, else frees it now. If our lease was
   * taken over meanwhile, the conditional write fails and the new holder keeps the lock; the core logs who.
   */
  @Override
  protected void doUnlock() {
    try {
      S3LockProvider.translated(() -> provider.client().release(lease, lockConfiguration.getUnlockTime()));
    } finally {
      HeldLocks.ended(holding);
    }
  }

  /** Empty when the lock already expired (nothing is written) or was taken over. */
  @Override
  protected Optional<SimpleLock> doExtend(LockConfiguration newConfiguration) {
    Optional<Lease> extended = S3LockProvider.translated(
        () -> provider.client().extend(lease, newConfiguration.getLockAtMostUntil()));
    if (extended.isEmpty()) {
      // The lock is no longer ours: its token must stop fencing writes made "under" it.
      HeldLocks.ended(holding);
      return Optional.empty();
    }
    holding.extendedUntil(newConfiguration.getLockAtMostUntil());
    return Optional.of(new S3SimpleLock(newConfiguration, extended.get(), holding, provider));
  }

  /** The fencing token of this acquisition (unchanged by extend). */
  long fencingToken() {
    return lease.token();
  }

  @Override
  public String toString() {
    return "S3SimpleLock[" + lease + "]";
  }
}
