package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.TimeMode;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.quartz.impl.jdbcjobstore.LockException;
import org.quartz.impl.jdbcjobstore.Semaphore;
import org.quartz.impl.jdbcjobstore.TablePrefixAware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A Quartz JDBC job store lock handler that keeps {@code TRIGGER_ACCESS} and {@code STATE_ACCESS} in S3 instead
 * of the {@code QRTZ_LOCKS} rows. Enable it with
 * {@code org.quartz.jobStore.lockHandler.class = io.github.s3lock.quartz.S3Semaphore} and set its properties
 * under {@code org.quartz.jobStore.lockHandler.} ({@code bucket} is required). Credentials come from the AWS SDK
 * default chain only. See {@code docs/quartz.md}.
 *
 * <p>Each lock is a lease of {@code leaseMillis}, renewed every third of it by a daemon thread while held, so a
 * node that dies frees its locks after one lease, and a slow commit does not lose them. Within a JVM, one thread
 * per lock name talks to S3 (a fair local lock is taken first), which also makes the lock re-entrant per thread
 * as Quartz needs after a failed commit.
 */
public class S3Semaphore implements Semaphore, TablePrefixAware {

  private static final Logger log = LoggerFactory.getLogger(S3Semaphore.class);
  private static final long FIRST_BACKOFF_MILLIS = 10;

  private String bucket;
  private String keyPrefix = "quartz-locks/";
  private String region;
  private String endpoint;
  private boolean pathStyleAccess;
  private long leaseMillis = 30_000;
  private long acquireTimeoutMillis = 60_000;
  private long maxRetryIntervalMillis = 500;
  private String timeMode = TimeMode.CLIENT.name();
  private String lockedBy;
  private String expectedBucketOwner;
  private String s3ClientSupplier;
  private String tablePrefix = "QRTZ_";
  private String schedName = "QuartzScheduler";
  private LockListener lockListener = LockListener.NONE;

  private final S3Client givenClient;
  private volatile S3LockClient client;
  private ScheduledThreadPoolExecutor renewer;
  private final ConcurrentMap<String, Slot> slots = new ConcurrentHashMap<>();

  /** One lock name: the in-JVM lock (hold count = Quartz's nesting) and, while held, the S3 lease. */
  private static final class Slot {
    final ReentrantLock local = new ReentrantLock(true);
    Lease lease; // guarded by this; null when not held in S3
    ScheduledFuture<?> renewal; // guarded by this
    boolean releaseDeferred; // owner thread only
  }

  /** For Quartz: configured through the {@code org.quartz.jobStore.lockHandler.*} properties. */
  public S3Semaphore() {
    this(null);
  }

  /**
   * With a ready S3 client (then {@code region}, {@code endpoint} and {@code pathStyleAccess} are ignored), for
   * {@code JobStoreSupport.setLockHandler} / {@code DirectSchedulerFactory}. With {@code StdSchedulerFactory} or
   * Spring, name a {@code Supplier<S3Client>} class in {@code s3ClientSupplier} instead.
   */
  public S3Semaphore(S3Client s3Client) {
    this.givenClient = s3Client;
  }

  @Override
  public boolean obtainLock(Connection conn, String lockName) throws LockException {
    Slot slot = slots.computeIfAbsent(lockName, n -> new Slot());
    if (slot.local.isHeldByCurrentThread()) {
      slot.local.lock(); // Quartz re-enters on the same thread, e.g. retrying a failed commit.
      return true;
    }
    long deadline = System.nanoTime() + MILLISECONDS.toNanos(acquireTimeoutMillis);
    try {
      if (!slot.local.tryLock(acquireTimeoutMillis, MILLISECONDS)) {
        throw new LockException("Timed out after " + acquireTimeoutMillis + " ms waiting for Quartz lock '"
            + lockName + "': another thread of scheduler '" + schedName + "' in this JVM held it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockException("Interrupted while waiting for Quartz lock '" + lockName + "'", e);
    }
    boolean held = false;
    try {
      acquire(slot, lockName, deadline);
      held = true;
      return true;
    } finally {
      if (!held) {
        slot.local.unlock();
      }
    }
  }

  private void acquire(Slot slot, String lockName, long deadline) throws LockException {
    S3LockClient locks = client();
    long backoff = FIRST_BACKOFF_MILLIS;
    S3LockException lastFailure = null;
    while (true) {
      try {
        var lease = locks.tryAcquire(lockName, Instant.now().plusMillis(leaseMillis));
        if (lease.isPresent()) {
          hold(slot, lease.get());
          return;
        }
        lastFailure = null;
      } catch (S3LockException e) {
        if (interruption(e)) {
          // The SDK consumed the interrupt flag (AbortedException) and the core reports UNAVAILABLE: restore it.
          Thread.currentThread().interrupt();
          throw new LockException("Interrupted while waiting for Quartz lock '" + lockName + "'", e);
        }
        if (e.kind() != S3LockException.Kind.UNAVAILABLE) {
          throw new LockException("Cannot take Quartz lock '" + lockName + "' of scheduler '" + schedName + "': "
              + e.getMessage(), e);
        }
        lastFailure = e; // Unreachable S3: keep trying until the deadline; Quartz runs nothing meanwhile.
      }
      long remainingMillis = NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (remainingMillis <= 0) {
        throw new LockException("Timed out after " + acquireTimeoutMillis + " ms waiting for Quartz lock '"
            + lockName + "' (s3://" + bucket + "/" + locks.keyFor(lockName) + "): " + (lastFailure == null
            ? "another node holds it" : "S3 is unavailable: " + lastFailure.getMessage()), lastFailure);
      }
      // Full jitter, so that the nodes waiting for one release do not all ask at the same moment.
      long sleep = Math.min(remainingMillis, ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1));
      try {
        Thread.sleep(Math.max(1, sleep));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LockException("Interrupted while waiting for Quartz lock '" + lockName + "'", e);
      }
      backoff = Math.min(backoff * 2, maxRetryIntervalMillis);
    }
  }

  private void hold(Slot slot, Lease lease) {
    long every = Math.max(1, leaseMillis / 3);
    synchronized (slot) {
      slot.lease = lease;
      slot.renewal = renewer().scheduleWithFixedDelay(() -> renew(slot), every, every, MILLISECONDS);
    }
  }

  /** On the renewer thread. Runs under the slot's monitor, so a release never overlaps an extend. */
  private void renew(Slot slot) {
    synchronized (slot) {
      Lease lease = slot.lease;
      if (lease == null) {
        return;
      }
      try {
        var extended = client.extend(lease, Instant.now().plusMillis(leaseMillis));
        if (extended.isPresent()) {
          slot.lease = extended.get();
          return;
        }
        stopHolding(slot);
        logLost(lease);
      } catch (RuntimeException e) {
        // S3 unavailable (or the client closed): keep the lease and try again next period; once it has expired,
        // extend answers empty without a request and the loss is reported above. Never let the task die.
        log.warn("Could not renew Quartz lock '{}' (held until {}): {}", lease.name(), lease.lockUntil(),
            e.toString());
      }
    }
  }

  @Override
  public void releaseLock(String lockName) {
    Slot slot = slots.get(lockName);
    if (slot == null || !slot.local.isHeldByCurrentThread()) {
      // Quartz 2.5.2 doCheckin may release a lock this thread never obtained: nothing to do.
      log.debug("Quartz lock '{}' is not held by this thread; release ignored", lockName);
      return;
    }
    if (slot.local.getHoldCount() > 1 || slot.releaseDeferred) {
      if (slot.local.getHoldCount() > 1) {
        slot.local.unlock();
      }
      return;
    }
    // JobStoreCMT releases before the caller's transaction commits; other nodes must not see the protected
    // rows half-written, so under a Spring transaction the lock is released after it completes.
    if (SpringTransactions.runAfterCompletion(() -> releaseNow(slot))) {
      slot.releaseDeferred = true;
      return;
    }
    releaseNow(slot);
  }

  private void releaseNow(Slot slot) {
    try {
      Lease lease;
      synchronized (slot) {
        lease = slot.lease;
        stopHolding(slot);
      }
      if (lease == null) {
        return; // Lost while held: already reported.
      }
      // Quartz interrupts its scheduler thread on shutdown, and the SDK aborts requests of an interrupted
      // thread: release first, so the other nodes need not wait out the lease, then restore the flag.
      boolean interrupted = Thread.interrupted();
      try {
        if (!client.release(lease, Instant.now())) {
          logLost(lease);
        }
      } catch (S3LockException e) {
        log.warn("Could not release Quartz lock '{}'; it frees itself at {}: {}", lease.name(), lease.lockUntil(),
            e.getMessage());
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      slot.releaseDeferred = false;
      slot.local.unlock();
    }
  }

  private static boolean interruption(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException || t instanceof AbortedException) {
        return true;
      }
    }
    return false;
  }

  private static void stopHolding(Slot slot) {
    slot.lease = null;
    if (slot.renewal != null) {
      slot.renewal.cancel(false);
      slot.renewal = null;
    }
  }

  private void logLost(Lease lease) {
    String holder;
    try {
      holder = client.read(lease.name()).map(r -> "'" + r.lockedBy() + "' (token " + r.token() + ") until "
          + r.lockUntil()).orElse("nobody (object deleted)");
    } catch (RuntimeException e) {
      holder = "unknown (" + e.getMessage() + ")";
    }
    log.error("Lost Quartz lock '{}' of scheduler '{}' while holding it (token {}); it is now held by {}. Another"
        + " node may have run the same section concurrently: a pause (GC, stalled commit, unreachable S3) outlasted"
        + " leaseMillis={}", lease.name(), schedName, lease.token(), holder, leaseMillis);
  }

  @Override
  public boolean requiresConnection() {
    return false;
  }

  /** Stops renewing every lease, as a crashed node would; for tests. */
  synchronized void stopRenewing() {
    if (renewer != null) {
      renewer.shutdownNow();
    }
  }

  /** How often the current thread holds {@code lockName} here (0 = not at all); for tests. */
  int holdCount(String lockName) {
    Slot slot = slots.get(lockName);
    return slot == null ? 0 : slot.local.getHoldCount();
  }

  private S3LockClient client() throws LockException {
    S3LockClient c = client;
    if (c != null) {
      return c;
    }
    synchronized (this) {
      if (client == null) {
        client = buildClient();
      }
      return client;
    }
  }

  private synchronized ScheduledThreadPoolExecutor renewer() {
    if (renewer == null) {
      renewer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "s3-semaphore-renewer-" + schedName);
        t.setDaemon(true);
        return t;
      });
      // Quartz has no shutdown hook for lock handlers: let the idle thread end by itself.
      renewer.setKeepAliveTime(10, SECONDS);
      renewer.allowCoreThreadTimeOut(true);
      renewer.setRemoveOnCancelPolicy(true);
    }
    return renewer;
  }

  private S3LockClient buildClient() throws LockException {
    if (bucket == null || bucket.isBlank()) {
      throw new LockException("org.quartz.jobStore.lockHandler.bucket is required (the S3 bucket for the locks)");
    }
    if (leaseMillis < 1000) {
      throw new LockException("org.quartz.jobStore.lockHandler.leaseMillis must be >= 1000, was " + leaseMillis);
    }
    if (acquireTimeoutMillis < 0 || maxRetryIntervalMillis < FIRST_BACKOFF_MILLIS) {
      throw new LockException("org.quartz.jobStore.lockHandler.acquireTimeoutMillis must be >= 0 and"
          + " maxRetryIntervalMillis >= " + FIRST_BACKOFF_MILLIS);
    }
    TimeMode mode;
    try {
      mode = TimeMode.valueOf(timeMode.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new LockException("org.quartz.jobStore.lockHandler.timeMode must be CLIENT or SERVER, was " + timeMode);
    }
    try {
      return S3LockClient.builder()
          .s3Client(newS3Client())
          .bucket(bucket)
          // Scheduler name and table prefix are the identity of a Quartz cluster: clusters can share a bucket.
          .keyPrefix(keyPrefix + segment(schedName) + "/" + segment(tablePrefix) + "/")
          .lockedBy(lockedBy != null ? lockedBy : defaultLockedBy())
          .timeMode(mode)
          .expectedBucketOwner(expectedBucketOwner)
          .listener(lockListener)
          .build();
    } catch (SdkClientException | IllegalArgumentException | IllegalStateException e) {
      throw new LockException("Cannot set up the S3 lock handler of scheduler '" + schedName + "' (check"
          + " org.quartz.jobStore.lockHandler.region/endpoint): " + e.getMessage(), e);
    }
  }

  /** The S3 client: the given one, the supplier's, or one built from the properties. Tests override it. */
  S3Client newS3Client() throws LockException {
    if (givenClient != null) {
      return givenClient;
    }
    if (s3ClientSupplier != null) {
      try {
        @SuppressWarnings("unchecked")
        Supplier<S3Client> supplier = (Supplier<S3Client>) Class.forName(s3ClientSupplier, true,
            Thread.currentThread().getContextClassLoader()).getDeclaredConstructor().newInstance();
        return supplier.get();
      } catch (ReflectiveOperationException | ClassCastException e) {
        Throwable cause = e instanceof InvocationTargetException ? e.getCause() : e;
        throw new LockException("org.quartz.jobStore.lockHandler.s3ClientSupplier: cannot get an S3Client from "
            + s3ClientSupplier + " (a public Supplier<S3Client> class with a no-arg constructor)", cause);
      }
    }
    // Credentials: the SDK default chain only. Checksums only when required: radosgw rejects the defaults.
    S3ClientBuilder builder = S3Client.builder()
        .forcePathStyle(pathStyleAccess)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (region != null && !region.isBlank()) {
      builder.region(Region.of(region.trim()));
    }
    if (endpoint != null && !endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint.trim()));
    }
    return builder.build();
  }

  /** A key segment: ASCII letters, digits, {@code -_} stay; everything else becomes %XX (no '/', no '..'). */
  static String segment(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
          || c == '_';
      out.append(plain ? String.valueOf((char) c) : String.format("%%%02X", c));
    }
    return out.toString();
  }

  private static String defaultLockedBy() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown-host";
    }
    return host + "/" + ProcessHandle.current().pid();
  }

  // Properties, set by Quartz from org.quartz.jobStore.lockHandler.* (String/int/long/boolean only).

  /** Required: the bucket of the lock objects (unversioned). */
  public void setBucket(String bucket) {
    this.bucket = bucket;
  }

  /** Key prefix; default {@code quartz-locks/}. Keys are {@code <keyPrefix><schedName>/<tablePrefix>/<lock>}. */
  public void setKeyPrefix(String keyPrefix) {
    this.keyPrefix = keyPrefix == null ? "" : keyPrefix;
  }

  /** The bucket's region; default: the SDK's region chain ({@code AWS_REGION}, profile, instance metadata). */
  public void setRegion(String region) {
    this.region = region;
  }

  /** Endpoint URL for S3-compatible stores (Ceph radosgw, ...); default: AWS. */
  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  /** Path-style addressing ({@code endpoint/bucket/key}), as most S3-compatible stores need; default false. */
  public void setPathStyleAccess(boolean pathStyleAccess) {
    this.pathStyleAccess = pathStyleAccess;
  }

  /** How long a lock survives its holder without renewal (renewed every third of it); default 30000, min 1000. */
  public void setLeaseMillis(long leaseMillis) {
    this.leaseMillis = leaseMillis;
  }

  /** How long obtainLock waits before throwing {@link LockException}; default 60000. */
  public void setAcquireTimeoutMillis(long acquireTimeoutMillis) {
    this.acquireTimeoutMillis = acquireTimeoutMillis;
  }

  /** Upper bound of the jittered backoff between attempts on a held lock; default 500. */
  public void setMaxRetryIntervalMillis(long maxRetryIntervalMillis) {
    this.maxRetryIntervalMillis = maxRetryIntervalMillis;
  }

  /** {@code CLIENT} (default: node clocks must agree well within a lease) or {@code SERVER} (the store's clock). */
  public void setTimeMode(String timeMode) {
    this.timeMode = timeMode;
  }

  /** Who holds a lock, written into the lock object for people to read; default {@code host/pid}. */
  public void setLockedBy(String lockedBy) {
    this.lockedBy = lockedBy;
  }

  /** The AWS account that must own the bucket; default: not checked. */
  public void setExpectedBucketOwner(String expectedBucketOwner) {
    this.expectedBucketOwner = expectedBucketOwner;
  }

  /** A public {@code Supplier<S3Client>} class with a no-arg constructor, to build the S3 client yourself. */
  public void setS3ClientSupplier(String s3ClientSupplier) {
    this.s3ClientSupplier = s3ClientSupplier;
  }

  /**
   * Told about every lock attempt, S3 request, release and lost lease (e.g. s3-lock-micrometer's
   * {@code MicrometerLockListener}); default {@link LockListener#NONE}. Set it in code before the scheduler
   * starts: Quartz's properties cannot carry an object, and it skips setters it has no property for.
   */
  public void setLockListener(LockListener lockListener) {
    this.lockListener = lockListener == null ? LockListener.NONE : lockListener;
  }

  @Override
  public void setTablePrefix(String tablePrefix) {
    this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
  }

  @Override
  public void setSchedName(String schedName) {
    this.schedName = schedName;
  }
}
