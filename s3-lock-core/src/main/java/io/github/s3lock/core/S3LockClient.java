package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Locks on S3 conditional writes: one object per lock name, whose JSON body says until when it is held. This is
 * the protocol that the ShedLock and Quartz adapters share; see {@code docs/protocol.md} for each operation's
 * requests and safety argument.
 *
 * <p>Safety rests on three things: every write is conditional ({@code If-None-Match: *} to create,
 * {@code If-Match: <etag>} to replace), so of two racing writers at most one succeeds; a holder's release and
 * extend are conditional on the ETag of its own write, so a holder whose lease was taken over can no longer
 * change the object; and an uncertain write is resolved by reading back the object and looking for the writer's
 * own nonce, never by assuming.
 *
 * <p>Cost: the client remembers the last version of each lock it saw (ETag and record), so the common cases take
 * one request: a new name (PUT), re-acquiring a name this client released (PUT), seeing that another node holds
 * it (conditional GET), release (PUT), extend (PUT).
 *
 * <p>Thread-safe. Starts no threads. Operators' functions (list, forced release, probe) are on
 * {@link S3LockAdmin}.
 */
public final class S3LockClient {

  private final LockObjects objects;
  private final Acquisition acquisition;
  private final LeaseRewrites rewrites;
  private final LockListener listener;
  private final boolean probeEnabled;

  private S3LockClient(Builder b) {
    this.listener = IsolatedListener.of(b.listener());
    this.objects = b.lockObjects(listener);
    this.acquisition = new Acquisition(objects, b.lockedBy());
    this.rewrites = new LeaseRewrites(objects, listener);
    this.probeEnabled = b.probe;
  }

  /** @return a builder; {@code s3Client} and {@code bucket} are required */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Takes the lock {@code name} until {@code lockUntil} (local time) if nobody holds it. Never blocks beyond
   * its S3 requests and never re-enters: a lock held by this client is reported as held.
   *
   * @param name the lock name; any non-empty string whose key fits S3's 1,024 bytes
   * @param lockUntil until when to hold it at most (a crashed holder's lock frees itself then), local time
   * @return the lease, or empty when someone holds the lock (or won the race for it)
   * @throws S3LockException when S3 fails in a way that leaves the answer open (then the lock is not claimed)
   * @throws IllegalArgumentException for an empty name, one too long for an S3 key, or one that is not valid
   *     UTF-16
   */
  public Optional<Lease> tryAcquire(String name, Instant lockUntil) {
    String key = objects.keys.keyFor(name);
    Objects.requireNonNull(lockUntil, "lockUntil");
    long started = System.nanoTime();
    try {
      objects.ensureReady(probeEnabled);
      Optional<Lease> lease = acquisition.acquire(name, key, lockUntil);
      listener.attempted(name, lease.isPresent() ? LockListener.AttemptOutcome.ACQUIRED
          : LockListener.AttemptOutcome.HELD, Duration.ofNanos(System.nanoTime() - started));
      return lease;
    } catch (S3LockException e) {
      listener.attempted(name, LockListener.AttemptOutcome.ERROR, Duration.ofNanos(System.nanoTime() - started));
      throw e;
    }
  }

  /**
   * Releases the lease: rewrites its record with {@code lockUntil = max(now, lockUntil)}, conditional on the
   * lease's ETag (or on the ETag of a later write of the same acquisition, recognised by its owner nonce). The
   * object is kept, so the fencing token stays monotonic and a store that ignores conditional DELETE cannot let
   * a late holder delete someone else's lock. Works on an interrupted thread, whose interrupt flag it keeps.
   *
   * @param lease what {@link #tryAcquire} or {@link #extend} returned
   * @param lockUntil when the lock becomes free (e.g. ShedLock's {@code lockAtLeastUntil}), local time
   * @return true if released; false if the lease had been lost (logged as a warning naming the new holder)
   * @throws S3LockException of kind UNAVAILABLE when the store kept failing: the lease is then still held
   */
  public boolean release(Lease lease, Instant lockUntil) {
    return rewrites.release(lease, lockUntil);
  }

  /**
   * Moves the lease's {@code lockUntil} to {@code newLockUntil} (local time), if the lease is still held.
   *
   * @param lease what {@link #tryAcquire} or an earlier extend returned
   * @param newLockUntil the new end of the lease, local time
   * @return the new lease (the given one is spent), or empty when the lease has expired or was lost
   * @throws S3LockException of kind UNAVAILABLE when the store kept failing: the given lease is then still valid
   */
  public Optional<Lease> extend(Lease lease, Instant newLockUntil) {
    if (timeLeft(lease).isZero() && !rewrites.uncertain(lease)) {
      // Nothing to send: the lease may already be someone else's. Unless an earlier write of this acquisition
      // failed without an answer: it may have been applied and moved lockUntil on, and only a write (conditional,
      // recognising our own record by its nonce) can tell.
      return Optional.empty();
    }
    return rewrites.rewrite(lease, objects.clock.toStore(newLockUntil), "extend");
  }

  /**
   * How long the lease is certainly still valid, by the latest the store's clock can be (in server time) or the
   * local clock (in client time); zero once it may have expired. A holder must not start work it cannot finish
   * in that time.
   *
   * @param lease a lease of this client
   * @return the time left, never negative
   */
  public Duration timeLeft(Lease lease) {
    Duration left = Duration.between(objects.clock.latestNow(), lease.lockUntil());
    return left.isNegative() ? Duration.ZERO : left;
  }

  /**
   * The current record of a lock, read from S3 (one GET).
   *
   * @param name the lock name
   * @return the record, or empty if the object does not exist
   */
  public Optional<LockRecord> read(String name) {
    return Optional.ofNullable(objects.fetch(objects.keys.keyFor(name), null, false)).map(Version::record);
  }

  /**
   * The current time as lock records use it.
   *
   * @return local time, or the store's in {@link TimeMode#SERVER} mode
   */
  public Instant now() {
    return objects.clock.now();
  }

  /** @return the bucket of the lock objects */
  public String bucket() {
    return objects.bucket();
  }

  /** @return the key prefix of the lock objects */
  public String keyPrefix() {
    return objects.keys.prefix();
  }

  /**
   * @param name a lock name
   * @return the object key of the lock name
   */
  public String keyFor(String name) {
    return objects.keys.keyFor(name);
  }

  /** Configuration of an {@link S3LockClient}. Required: {@link #s3Client} and {@link #bucket}. */
  public static final class Builder {
    private S3Client s3;
    private String bucket;
    private String keyPrefix = "locks/";
    private String lockedBy = defaultLockedBy();
    private TimeMode timeMode = TimeMode.CLIENT;
    private InstantSource clock = InstantSource.system();
    private LongSupplier ticker = System::nanoTime;
    private boolean probe = true;
    private StoreDialect dialect = StoreDialect.AWS;
    private String expectedBucketOwner;
    private LockListener listener = LockListener.NONE;

    private Builder() {}

    /**
     * Told about every attempt, request, release and lost lease, e.g. for metrics; default none.
     *
     * @param listener the listener (use {@link LockListener#NONE} for none)
     * @return this builder
     */
    public Builder listener(LockListener listener) {
      this.listener = listener;
      return this;
    }

    /**
     * The client to use; configure its region, credentials and retries as for any S3 access.
     *
     * @param s3 the S3 client
     * @return this builder
     */
    public Builder s3Client(S3Client s3) {
      this.s3 = s3;
      return this;
    }

    /**
     * The bucket of the lock objects. It must exist and must not be versioned.
     *
     * @param bucket the bucket name
     * @return this builder
     */
    public Builder bucket(String bucket) {
      this.bucket = bucket;
      return this;
    }

    /**
     * Prefix of every lock object key; default {@code locks/}. Give s3-lock a prefix of its own.
     *
     * @param keyPrefix the key prefix ({@code ""} for none)
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * A key prefix made of {@code base} and one key segment per element of {@code segments}, each encoded as lock
     * names are (so a segment never adds a {@code /} or a {@code .}/{@code ..} segment of its own) and followed
     * by {@code /}: {@code ("quartz-locks/", "billing", "QRTZ_")} gives {@code quartz-locks/billing/QRTZ_/}.
     * For adapters that keep one namespace per scheduler or tenant under a common prefix.
     *
     * @param base the start of the prefix, used as given ({@code ""} for none)
     * @param segments names of the namespace levels, e.g. a scheduler name; any characters
     * @return this builder
     * @throws IllegalArgumentException when a segment is empty or not valid UTF-16
     */
    public Builder keyPrefix(String base, String... segments) {
      StringBuilder prefix = new StringBuilder(Objects.requireNonNull(base, "base"));
      for (String segment : segments) {
        prefix.append(KeyLayout.segment(segment)).append('/');
      }
      this.keyPrefix = prefix.toString();
      return this;
    }

    /**
     * Who holds a lock, as written into the record for people to read; default: this host's name.
     *
     * @param lockedBy the holder's name
     * @return this builder
     */
    public Builder lockedBy(String lockedBy) {
      this.lockedBy = lockedBy;
      return this;
    }

    /**
     * Whose clock decides expiry; default {@link TimeMode#CLIENT}.
     *
     * @param timeMode the time mode
     * @return this builder
     */
    public Builder timeMode(TimeMode timeMode) {
      this.timeMode = timeMode;
      return this;
    }

    /**
     * The local clock; default the system clock. Adapters pass their framework's clock.
     *
     * @param clock the local clock
     * @return this builder
     */
    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The monotonic clock, in nanoseconds, that measures elapsed time (server-time bounds); default
     * {@code System::nanoTime}. For tests and simulations that run in virtual time; applications leave it.
     *
     * @param ticker nanoseconds of a monotonic clock
     * @return this builder
     */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = ticker;
      return this;
    }

    /**
     * Whether to run the conformance probe before the first lock (default true). Turn it off only for a store
     * known to be conformant, and then set {@link #dialect}.
     *
     * @param probe whether to probe
     * @return this builder
     */
    public Builder probe(boolean probe) {
      this.probe = probe;
      return this;
    }

    /**
     * The store's dialect when the probe is off; default {@link StoreDialect#AWS}. The probe overrides it.
     *
     * @param dialect the dialect
     * @return this builder
     */
    public Builder dialect(StoreDialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * The AWS account id that must own the bucket (sent as {@code x-amz-expected-bucket-owner}): S3 refuses
     * requests to a bucket of the same name in another account. Default: not checked.
     *
     * @param accountId the 12-digit AWS account id
     * @return this builder
     */
    public Builder expectedBucketOwner(String accountId) {
      this.expectedBucketOwner = accountId;
      return this;
    }

    /**
     * The client that takes locks.
     *
     * @return the client
     * @throws IllegalStateException when {@code s3Client} or {@code bucket} is missing or {@code lockedBy} is blank
     */
    public S3LockClient build() {
      validate();
      return new S3LockClient(this);
    }

    /**
     * The operators' entry point on the same locks (list, show, forced release, probe): it needs
     * {@code s3:ListBucket} for {@code list}, which taking locks does not.
     *
     * @return the admin
     * @throws IllegalStateException when {@code s3Client} or {@code bucket} is missing or {@code lockedBy} is blank
     */
    public S3LockAdmin buildAdmin() {
      validate();
      return new S3LockAdmin(this);
    }

    LockObjects lockObjects(LockListener isolated) {
      StoreClock storeClock = new StoreClock(timeMode, clock, ticker);
      KeyLayout keys = new KeyLayout(keyPrefix);
      LockObjectStore store = new LockObjectStore(s3, bucket, keyPrefix, expectedBucketOwner, storeClock, isolated);
      return new LockObjects(store, keys, storeClock, dialect);
    }

    String lockedBy() {
      return lockedBy;
    }

    LockListener listener() {
      return listener;
    }

    private void validate() {
      if (s3 == null) {
        throw new IllegalStateException("s3Client is required");
      }
      if (bucket == null || bucket.isBlank()) {
        throw new IllegalStateException("bucket is required");
      }
      Objects.requireNonNull(keyPrefix, "keyPrefix must not be null (use \"\" for none)");
      if (lockedBy == null || lockedBy.isBlank()) {
        throw new IllegalStateException("lockedBy must not be blank");
      }
      Objects.requireNonNull(timeMode, "timeMode");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(ticker, "ticker");
      Objects.requireNonNull(dialect, "dialect");
      Objects.requireNonNull(listener, "listener (use LockListener.NONE for none)");
    }

    private static String defaultLockedBy() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
      }
    }
  }
}
