package io.github.s3lock.shedlock;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockException;
import java.time.Duration;
import java.util.Optional;
import net.javacrumbs.shedlock.core.AbstractSimpleLock;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.support.LockException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One held lock. {@link AbstractSimpleLock} gives ShedLock's lifecycle: after {@code unlock()} or
 * {@code extend()} this object is spent and both throw {@link IllegalStateException}; a successful extend
 * returns a new lock that carries the new lease (the core's old lease is spent too, its ETag is gone).
 */
final class S3SimpleLock extends AbstractSimpleLock {

  private static final Logger log = LoggerFactory.getLogger(S3SimpleLock.class);

  /** The pause after the first extension round that S3 failed; it doubles every round up to {@link #MAX_PAUSE}. */
  private static final Duration FIRST_PAUSE = Duration.ofMillis(100);
  /** Short against any lockAtMostFor that KeepAliveLockProvider accepts (30 s or more): many rounds per lease. */
  private static final Duration MAX_PAUSE = Duration.ofSeconds(2);

  private final Lease lease;
  private final HoldingsByThread.Holding holding;
  private final S3LockProvider provider;

  S3SimpleLock(LockConfiguration configuration, Lease lease, HoldingsByThread.Holding holding, S3LockProvider provider) {
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
      HoldingsByThread.ended(holding);
    }
  }

  /**
   * Empty when the lock already expired (nothing is written), was taken over, or could not be extended before it
   * expired. While S3 is unavailable (the core gave up after a few writes, the lease still ours) it tries again,
   * with growing pauses, for as long as the current lease lasts: ShedLock's {@code KeepAliveLockProvider} runs
   * this on a scheduled executor that silently drops every later run once one throws, so an exception here would
   * let the lock lapse at {@code lockAtMostUntil} while the task still runs, and another node start it. Once the
   * lease has run out the core answers empty without a request, so the retries end. Trying again is safe: every
   * write is conditional on our lease's ETag and cannot overwrite a lock someone else took.
   *
   * <p>KeepAliveLockProvider's unlock waits for a running extension, so a task that ends during an outage waits in
   * unlock until S3 answers again or the lease is gone.
   *
   * @throws LockException when S3 fails in a way that waiting does not fix (access denied, missing bucket, ...)
   */
  @Override
  protected Optional<SimpleLock> doExtend(LockConfiguration newConfiguration) {
    Duration pause = FIRST_PAUSE;
    S3LockException lastFailure = null;
    boolean lastChance = false;
    while (true) {
      try {
        Optional<Lease> extended = provider.client().extend(lease, newConfiguration.getLockAtMostUntil());
        if (extended.isEmpty()) {
          if (lastFailure != null) {
            warnNotExtended("S3 failed every extension until the lease was gone", lastFailure);
          }
          // The lock is no longer ours: its token must stop fencing writes made "under" it.
          HoldingsByThread.ended(holding);
          return Optional.empty();
        }
        holding.extendedUntil(newConfiguration.getLockAtMostUntil());
        return Optional.of(new S3SimpleLock(newConfiguration, extended.get(), holding, provider));
      } catch (S3LockException e) {
        if (e.kind() != S3LockException.Kind.UNAVAILABLE) {
          throw new LockException(e.getMessage(), e);
        }
        lastFailure = e;
      }
      // Judged as the core judges the lease (in server time by the store's clock, not the wall clock, which can
      // step). But a failed extension may have been applied, and then the lock is ours until the lockAtMostUntil
      // we asked for: keep trying until that has passed too, or the lock stays held by nobody who knows it.
      Duration remaining = provider.client().timeLeft(lease);
      Duration asked = Duration.between(provider.now(), newConfiguration.getLockAtMostUntil());
      if (asked.compareTo(remaining) > 0) {
        remaining = asked;
      }
      if ((remaining.isNegative() || remaining.isZero()) && !lastChance) {
        // One more attempt, at once: a failed extension may have been applied after all, and then the lease is
        // still ours under a later lockUntil; the core's conditional write recognises it by its nonce.
        lastChance = true;
        continue;
      }
      if (remaining.isNegative() || remaining.isZero()) {
        warnNotExtended("S3 failed every extension until the lease was gone", lastFailure);
        HoldingsByThread.ended(holding);
        return Optional.empty();
      }
      Duration thisPause = shorter(pause, remaining);
      log.debug("Could not extend lock '{}' yet, trying again in {} ms: {}", lockConfiguration.getName(),
          thisPause.toMillis(), lastFailure.getMessage());
      provider.pauseBeforeExtendRetry(thisPause);
      if (Thread.currentThread().isInterrupted()) {
        // Shutting down. The lease stays valid until lockAtMostUntil, and so does its fencing token.
        warnNotExtended("interrupted while waiting to try again", lastFailure);
        return Optional.empty();
      }
      pause = shorter(pause.multipliedBy(2), MAX_PAUSE);
    }
  }

  private void warnNotExtended(String why, S3LockException lastFailure) {
    log.warn("Stopped extending lock '{}' held until {}: {}; another node may take it from then on. Last failure: {}",
        lockConfiguration.getName(), lockConfiguration.getLockAtMostUntil(), why, lastFailure.getMessage());
  }

  private static Duration shorter(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
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
