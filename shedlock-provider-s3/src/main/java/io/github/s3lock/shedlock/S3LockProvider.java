package io.github.s3lock.shedlock;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.StoreDialect;
import io.github.s3lock.core.TimeMode;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.ExtensibleLockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.support.LockException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A ShedLock {@link ExtensibleLockProvider} on Amazon S3 conditional writes: one small object per lock name
 * under a key prefix ({@code shedlock/} by default), no table to create.
 *
 * <pre>{@code
 * @Bean
 * LockProvider lockProvider(S3Client s3) {
 *   return new S3LockProvider(s3, "my-bucket");
 * }
 * }</pre>
 *
 * <p>Unlike a plain storage-based provider, unlock and extend are conditional on the ETag of this holder's own
 * write: a holder whose lock expired and was taken over cannot release or extend the new holder's lock. Every
 * acquisition carries a fencing token, readable by the task with {@link #currentFencingToken()}.
 *
 * <p>The protocol lives in {@link S3LockClient}; this class only translates between it and ShedLock. Failures
 * that are not "someone else holds it" (missing bucket, access denied, a store that ignores conditional writes,
 * S3 unreachable after the SDK's retries) throw {@link LockException} with a message that names the bucket and
 * key and the fix. The exception is extend while S3 is unreachable: it keeps trying for as long as the lock is
 * held, because ShedLock's {@code KeepAliveLockProvider} stops extending for good after one exception. Thread-safe;
 * immutable once built.
 */
public final class S3LockProvider implements ExtensibleLockProvider {

  /** The key prefix of the two-argument constructor and the builder's default. */
  public static final String DEFAULT_KEY_PREFIX = "shedlock/";

  private final S3LockClient client;
  private final LongConsumer extendRetryPause;
  private final InstantSource clock;
  private final String description;

  /**
   * Locks in {@code bucket} under {@value #DEFAULT_KEY_PREFIX}, in client-time mode.
   *
   * @param s3 the S3 client (region, credentials, retries as for any S3 access)
   * @param bucket an existing, unversioned bucket
   */
  public S3LockProvider(S3Client s3, String bucket) {
    this(builder().s3Client(s3).bucket(bucket));
  }

  /**
   * Locks in {@code bucket} under {@code keyPrefix} (e.g. {@code "shedlock/my-service/"}), client time.
   *
   * @param s3 the S3 client (region, credentials, retries as for any S3 access)
   * @param bucket an existing, unversioned bucket
   * @param keyPrefix prefix of every lock object key
   */
  public S3LockProvider(S3Client s3, String bucket, String keyPrefix) {
    this(builder().s3Client(s3).bucket(bucket).keyPrefix(keyPrefix));
  }

  private S3LockProvider(Builder builder) {
    this.client = builder.core.build();
    this.extendRetryPause = builder.extendRetryPause;
    this.clock = builder.clock;
    this.description = "S3LockProvider[s3://" + client.bucket() + "/" + client.keyPrefix() + ", " + builder.timeMode
        + " time]";
  }

  /** @return a builder; {@code s3Client} and {@code bucket} are required */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Takes the lock until {@code lockAtMostUntil} if nobody holds it, this provider included (no re-entrance).
   * Never waits: empty when the lock is held or another node won the race for it.
   *
   * @throws LockException when S3 fails in a way that leaves the answer open; the lock is then not held
   */
  @Override
  public Optional<SimpleLock> lock(LockConfiguration lockConfiguration) {
    Optional<Lease> lease = translated(() -> client.tryAcquire(lockConfiguration.getName(),
        lockConfiguration.getLockAtMostUntil()));
    return lease.map(l -> {
      HoldingsByThread.Holding holding = HoldingsByThread.started(l.name(), l.token(),
          lockConfiguration.getLockAtMostUntil());
      return new S3SimpleLock(lockConfiguration, l, holding, this);
    });
  }

  /**
   * The fencing token of the innermost lock that the current thread took through an {@code S3LockProvider}
   * and has not released: in a {@code @SchedulerLock} method (or a task run by ShedLock's
   * {@code LockingTaskExecutor}), the token of that task's lock. It is larger than the token of every earlier
   * acquisition of the same lock name; pass it with every write to a downstream system that can reject writes
   * older than the newest token it has seen. Empty outside a lock, and once the lock's {@code lockAtMostUntil}
   * has passed (it may then be someone else's): a task that finds no token should not write.
   *
   * @return the token, or empty when this thread holds no live lock
   */
  public static OptionalLong currentFencingToken() {
    return HoldingsByThread.currentToken(null);
  }

  /**
   * Like {@link #currentFencingToken()}, for the innermost held lock named {@code lockName}.
   *
   * @param lockName the lock name
   * @return the token, or empty when this thread holds no live lock of that name
   */
  public static OptionalLong currentFencingToken(String lockName) {
    return HoldingsByThread.currentToken(Objects.requireNonNull(lockName, "lockName"));
  }

  S3LockClient client() {
    return client;
  }

  /** Now by this provider's local clock (ShedLock's unless a test set another), the clock of lockAtMostUntil. */
  Instant now() {
    return clock.instant();
  }

  /** Waits before the next round of an extension that S3 failed; see {@link S3SimpleLock#doExtend}. */
  void pauseBeforeExtendRetry(Duration pause) {
    extendRetryPause.accept(pause.toNanos());
  }

  /** The default pause: sleeps, and leaves an interrupt visible in the thread's flag for the caller to act on. */
  private static void sleep(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs a core call and turns its failures into ShedLock's exception, keeping the core's message. */
  static <T> T translated(Supplier<T> call) {
    try {
      return call.get();
    } catch (S3LockException e) {
      throw new LockException(e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * Configuration of an {@link S3LockProvider}. Required: {@link #s3Client} and {@link #bucket}; everything
   * else has the default named on its method.
   */
  public static final class Builder {
    // The core's configuration, with this adapter's defaults: ShedLock's clock, so that lockAtMostUntil and
    // lockAtLeastUntil (computed with it) and expiry agree, and tests that replace ClockProvider's clock move ours
    // too (in server time it is corrected by the store's offset).
    private final S3LockClient.Builder core = S3LockClient.builder().keyPrefix(DEFAULT_KEY_PREFIX)
        .clock(ClockProvider::now);
    private InstantSource clock = ClockProvider::now;
    private TimeMode timeMode = TimeMode.CLIENT;
    private LongConsumer extendRetryPause = S3LockProvider::sleep;

    private Builder() {}

    /**
     * @param s3 the client to use; configure its region, credentials and retries as for any S3 access
     * @return this builder
     */
    public Builder s3Client(S3Client s3) {
      core.s3Client(s3);
      return this;
    }

    /**
     * @param bucket the bucket that holds the lock objects; it must exist and must not be versioned
     * @return this builder
     */
    public Builder bucket(String bucket) {
      core.bucket(bucket);
      return this;
    }

    /**
     * @param keyPrefix prefix of every lock object key; default {@value S3LockProvider#DEFAULT_KEY_PREFIX}
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      core.keyPrefix(keyPrefix);
      return this;
    }

    /**
     * @param lockedBy who holds a lock, written into the lock object for people to read; default: this host's
     *     name
     * @return this builder
     */
    public Builder lockedBy(String lockedBy) {
      core.lockedBy(lockedBy);
      return this;
    }

    /**
     * @param timeMode whose clock decides expiry; default {@link TimeMode#CLIENT}, as in ShedLock.
     *     {@link TimeMode#SERVER} uses S3's clock (from the {@code Date} header): nodes need no clock sync, at the
     *     price of about one second of safety margin on every expiry
     * @return this builder
     */
    public Builder timeMode(TimeMode timeMode) {
      core.timeMode(timeMode);
      this.timeMode = timeMode;
      return this;
    }

    /**
     * @param probe whether to check, once before the first lock, that the store honours conditional writes and in
     *     which dialect (default true, a few requests per provider). Turn it off only for a store known to
     *     conform, and then set {@link #dialect} if it is not AWS S3
     * @return this builder
     */
    public Builder probe(boolean probe) {
      core.probe(probe);
      return this;
    }

    /**
     * @param dialect the store's dialect when the probe is off (e.g. {@link StoreDialect#RADOSGW_16}); default
     *     {@link StoreDialect#AWS}. The probe's finding overrides it
     * @return this builder
     */
    public Builder dialect(StoreDialect dialect) {
      core.dialect(dialect);
      return this;
    }

    /**
     * @param accountId the AWS account id that must own the bucket; default: not checked
     * @return this builder
     */
    public Builder expectedBucketOwner(String accountId) {
      core.expectedBucketOwner(accountId);
      return this;
    }

    /**
     * @param listener told about every lock attempt, S3 request, release and lost lease, e.g. s3-lock-micrometer's
     *     {@code MicrometerLockListener}; default {@link LockListener#NONE}. A listener that throws cannot change
     *     a lock's outcome
     * @return this builder
     */
    public Builder listener(LockListener listener) {
      core.listener(listener);
      return this;
    }

    /** The local clock; tests only (nodes with skewed clocks). Default: ShedLock's {@link ClockProvider}. */
    Builder clock(InstantSource clock) {
      core.clock(clock);
      this.clock = clock;
      return this;
    }

    /** The monotonic clock (nanoseconds); tests and simulations only. Default: {@code System::nanoTime}. */
    Builder ticker(LongSupplier ticker) {
      core.ticker(ticker);
      return this;
    }

    /**
     * How a failed extension waits before trying again (see {@link S3SimpleLock#doExtend}); tests and simulations
     * only. Default: sleeps, restoring the interrupt flag when interrupted.
     */
    Builder extendRetryPause(LongConsumer pauseNanos) {
      this.extendRetryPause = Objects.requireNonNull(pauseNanos, "extendRetryPause");
      return this;
    }

    /**
     * @return the provider
     * @throws IllegalStateException when {@code s3Client} or {@code bucket} is missing or {@code lockedBy} is
     *     blank
     */
    public S3LockProvider build() {
      return new S3LockProvider(this);
    }
  }
}
