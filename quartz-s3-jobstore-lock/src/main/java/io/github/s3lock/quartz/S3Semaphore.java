package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3LockClient;
import java.sql.Connection;
import java.time.InstantSource;
import org.quartz.impl.jdbcjobstore.LockException;
import org.quartz.impl.jdbcjobstore.Semaphore;
import org.quartz.impl.jdbcjobstore.TablePrefixAware;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A Quartz JDBC job store lock handler that keeps {@code TRIGGER_ACCESS} and {@code STATE_ACCESS} in S3 instead
 * of the {@code QRTZ_LOCKS} rows. Enable it with
 * {@code org.quartz.jobStore.lockHandler.class = io.github.s3lock.quartz.S3Semaphore} and set its properties
 * under {@code org.quartz.jobStore.lockHandler.} ({@code bucket} is required). Credentials come from the AWS SDK
 * default chain only. See {@code docs/quartz.md}.
 *
 * <p>Each lock is a lease of {@code leaseMillis}, renewed every sixth of it by a daemon thread of its lock name
 * while held, so a node that dies frees its locks after one lease, and a slow commit does not lose them. A section
 * starts only on a lease with two thirds of {@code leaseMillis} left, and a re-entry only continues on a lease that
 * has not run out. Within a JVM, one thread per lock name talks to S3 (a fair local lock is taken first), which also
 * makes the lock re-entrant per thread as Quartz needs after a failed commit.
 *
 * <p>Lease affinity: when a section ends, the node keeps its lease, and its next sections start on it without a
 * request while it has that margin. It goes back to S3 after {@code affinityIdleMillis} without a section, at the
 * end of the first section after {@code affinityMaxHoldMillis} of holding (the node then stays away from S3 long
 * enough for a waiting node to take it), and at shutdown. With {@link S3SemaphoreShutdownPlugin}, kept leases are
 * handed back and the S3 client built from the properties is closed when the scheduler shuts down.
 */
public class S3Semaphore implements Semaphore, TablePrefixAware {

  private final LockHandlerSettings settings = new LockHandlerSettings();
  private final HeldLeases leases = new HeldLeases(settings);
  private final LeaseWait leaseWait = new LeaseWait(settings, leases);
  private final S3Client givenClient;
  private volatile S3LockClient client;
  private S3Client ownClient; // guarded by this; built here from the properties, so closed here at shutdown
  private volatile boolean closed;

  /** For Quartz: configured through the {@code org.quartz.jobStore.lockHandler.*} properties. */
  public S3Semaphore() {
    this(null);
  }

  /**
   * With a ready S3 client (then {@code region}, {@code endpoint} and {@code pathStyleAccess} are ignored), for
   * {@code JobStoreSupport.setLockHandler} / {@code DirectSchedulerFactory}. With {@code StdSchedulerFactory} or
   * Spring, name a {@code Supplier<S3Client>} class in {@code s3ClientSupplier} instead.
   *
   * @param s3Client the client for the locks, which stays the caller's to close (after the scheduler has shut
   *     down); null: as the no-argument constructor
   */
  public S3Semaphore(S3Client s3Client) {
    this.givenClient = s3Client;
    S3SemaphoreShutdownPlugin.built(this);
  }

  @Override
  public boolean obtainLock(Connection conn, String lockName) throws LockException {
    if (closed) {
      throw shutDown(lockName, settings.schedName);
    }
    Slot slot = leases.slot(lockName);
    LocalLock.Hold own = slot.local.ofCurrentThread();
    if (own != null) {
      // Quartz re-enters on the same thread, e.g. retrying a failed commit: only on a lease that is still ours.
      // Refused, it adds no level; Quartz then releases only the levels it obtained.
      leases.requireLease(slot, lockName);
      slot.local.reenter(own);
      return true;
    }
    long deadline = System.nanoTime() + MILLISECONDS.toNanos(settings.acquireTimeoutMillis);
    try (DeferredInterrupt interrupt = new DeferredInterrupt()) {
      LocalLock.Hold hold = slot.local.tryLockUntil(deadline, interrupt);
      if (hold == null) {
        throw new LockException("Timed out after " + settings.acquireTimeoutMillis + " ms waiting for Quartz lock '"
            + lockName + "': another thread of scheduler '" + settings.schedName + "' in this JVM held it");
      }
      boolean held = false;
      try {
        if (closed && slot.renewer.isShutdown()) {
          throw shutDown(lockName, settings.schedName);
        }
        if (leases.grantOnKeptLease(slot)) {
          held = true; // Lease affinity: no request.
          return true;
        }
        leases.awaitTurn(slot, deadline, interrupt);
        leaseWait.acquire(client(), slot, lockName, deadline, interrupt);
        held = true;
        return true;
      } finally {
        if (!held) {
          slot.local.unlock(hold);
        }
      }
    }
  }

  @Override
  public void releaseLock(String lockName) {
    leases.release(lockName);
  }

  @Override
  public boolean requiresConnection() {
    return false;
  }

  /**
   * After the scheduler has shut down ({@link S3SemaphoreShutdownPlugin}): refuses further locks, hands the leases
   * kept between sections back to S3, stops the renewals, and closes the S3 client built from the properties (never
   * a client the user handed in or supplied). A section still running a second later (a job that outlives
   * {@code shutdown(false)}) hands its lease back when it ends, if the client still takes requests; otherwise the
   * lease runs out by itself.
   */
  void close() {
    S3Client own;
    synchronized (this) {
      closed = true;
      own = ownClient;
      ownClient = null;
    }
    leases.close();
    if (own != null) {
      own.close();
    }
  }

  /**
   * Waits until the threads that wait for a lock have had it and ended their sections, bounded per lock; by
   * {@link S3SemaphoreShutdownPlugin} when the scheduler shuts down, before its job store does.
   */
  void awaitWaitingThreads() {
    leases.awaitSections();
  }

  static LockException shutDown(String lockName, String schedName) {
    return new LockException("Cannot take Quartz lock '" + lockName + "': scheduler '" + schedName
        + "' has shut down");
  }

  String schedName() {
    return settings.schedName;
  }

  /** Stops renewing every lease, as a crashed node would; for tests. */
  void stopRenewing() {
    leases.stopRenewing();
  }

  /** The local clock (lease ends, and the lock client's clock); for tests, before the first lock. */
  void setClock(InstantSource clock) {
    settings.clock = clock;
  }

  /** How often the current thread holds {@code lockName} here (0 = not at all); for tests. */
  int holdCount(String lockName) {
    return leases.holdCount(lockName);
  }

  /** Whether this node holds {@code lockName}'s lease in S3, in a section or kept between sections; for tests. */
  boolean holdsLease(String lockName) {
    return leases.holdsLease(lockName);
  }

  private S3LockClient client() throws LockException {
    S3LockClient c = client;
    if (c != null) {
      return c;
    }
    synchronized (this) {
      if (closed) {
        throw shutDown("any", settings.schedName);
      }
      if (client == null) {
        client = settings.newLockClient(this::newS3Client);
      }
      return client;
    }
  }

  /** The S3 client: the given one, the supplier's, or one built from the properties. Tests override it. */
  S3Client newS3Client() throws LockException {
    if (givenClient != null) {
      return givenClient;
    }
    if (settings.s3ClientSupplier != null) {
      return settings.suppliedS3Client();
    }
    S3Client built = settings.newS3Client();
    synchronized (this) {
      ownClient = built;
    }
    return built;
  }

  // Properties, set by Quartz from org.quartz.jobStore.lockHandler.* (String/int/long/boolean only).

  /**
   * Required: the bucket of the lock objects (unversioned).
   *
   * @param bucket the bucket's name; without one, the first {@code obtainLock} throws {@link LockException}
   */
  public void setBucket(String bucket) {
    settings.bucket = bucket;
  }

  /**
   * Key prefix; default {@code quartz-locks/}. Keys are {@code <keyPrefix><schedName>/<tablePrefix>/<lock>}.
   *
   * @param keyPrefix put in front as it is (end it with {@code /} for a folder of its own); null or {@code ""}
   *     for none
   */
  public void setKeyPrefix(String keyPrefix) {
    settings.keyPrefix = keyPrefix == null ? "" : keyPrefix;
  }

  /**
   * The bucket's region; default: the SDK's region chain ({@code AWS_REGION}, profile, instance metadata).
   *
   * @param region a region id such as {@code eu-west-1}; ignored with a client handed in or supplied
   */
  public void setRegion(String region) {
    settings.region = region;
  }

  /**
   * Endpoint URL for S3-compatible stores (Ceph radosgw, ...); default: AWS.
   *
   * @param endpoint a URL such as {@code http://ceph:7480}; null for AWS; ignored with a client handed in or
   *     supplied
   */
  public void setEndpoint(String endpoint) {
    settings.endpoint = endpoint;
  }

  /**
   * Path-style addressing ({@code endpoint/bucket/key}), as most S3-compatible stores need; default false.
   *
   * @param pathStyleAccess false for virtual-hosted style ({@code bucket.endpoint/key}); ignored with a client
   *     handed in or supplied
   */
  public void setPathStyleAccess(boolean pathStyleAccess) {
    settings.pathStyleAccess = pathStyleAccess;
  }

  /**
   * How long a lock survives its holder without renewal (renewed every sixth of it); default 30000, min 1000.
   *
   * @param leaseMillis milliseconds; below 1000, the first {@code obtainLock} throws {@link LockException}
   */
  public void setLeaseMillis(long leaseMillis) {
    settings.leaseMillis = leaseMillis;
  }

  /**
   * How long obtainLock waits before throwing {@link LockException}; default 60000.
   *
   * @param acquireTimeoutMillis milliseconds, one budget for waiting on this JVM's other threads and on other
   *     nodes; 0 for a single attempt; below 0, the first {@code obtainLock} throws
   */
  public void setAcquireTimeoutMillis(long acquireTimeoutMillis) {
    settings.acquireTimeoutMillis = acquireTimeoutMillis;
  }

  /**
   * Upper bound of the jittered backoff between attempts on a held lock; default 500.
   *
   * @param maxRetryIntervalMillis milliseconds; below 10 (the first backoff), the first {@code obtainLock} throws
   */
  public void setMaxRetryIntervalMillis(long maxRetryIntervalMillis) {
    settings.maxRetryIntervalMillis = maxRetryIntervalMillis;
  }

  /**
   * Lease affinity: how long a node keeps a lock's lease after its last section when no other section asks, before
   * it hands the lease back to S3; default 100. A waiting node gets the lock this much later than without affinity.
   *
   * @param affinityIdleMillis milliseconds; below 1, the first {@code obtainLock} throws {@link LockException}
   */
  public void setAffinityIdleMillis(long affinityIdleMillis) {
    settings.affinityIdleMillis = affinityIdleMillis;
  }

  /**
   * Lease affinity: how long a node's turn with a lock lasts while its own sections keep asking; at the end of the
   * first section after it, the lease goes back to S3 and the node stays away from S3 for one and a half
   * {@code maxRetryIntervalMillis} plus four of its round trips, so that a waiting node gets its turn. Default 2000;
   * {@code 0} turns affinity off (every section takes and releases the lock in S3).
   *
   * @param affinityMaxHoldMillis milliseconds; 0 for no affinity; below 0, the first {@code obtainLock} throws
   */
  public void setAffinityMaxHoldMillis(long affinityMaxHoldMillis) {
    settings.affinityMaxHoldMillis = affinityMaxHoldMillis;
  }

  /**
   * {@code CLIENT} (default: node clocks must agree well within a lease) or {@code SERVER} (the store's clock).
   *
   * @param timeMode {@code CLIENT} or {@code SERVER}, in any case; any other text makes the first
   *     {@code obtainLock} throw {@link LockException}
   */
  public void setTimeMode(String timeMode) {
    settings.timeMode = timeMode;
  }

  /**
   * Who holds a lock, written into the lock object for people to read; default {@code host/pid}.
   *
   * @param lockedBy any text, e.g. the pod's name; null for the default; blank makes the first
   *     {@code obtainLock} throw
   */
  public void setLockedBy(String lockedBy) {
    settings.lockedBy = lockedBy;
  }

  /**
   * The AWS account that must own the bucket; default: not checked.
   *
   * @param expectedBucketOwner the 12-digit AWS account id; with another owner, S3 answers 403 and
   *     {@code obtainLock} throws
   */
  public void setExpectedBucketOwner(String expectedBucketOwner) {
    settings.expectedBucketOwner = expectedBucketOwner;
  }

  /**
   * A public {@code Supplier<S3Client>} class with a no-arg constructor, to build the S3 client yourself.
   *
   * @param s3ClientSupplier the class's fully qualified name, loaded by the thread's context class loader; its
   *     client is never closed here; ignored with a client handed to the constructor
   */
  public void setS3ClientSupplier(String s3ClientSupplier) {
    settings.s3ClientSupplier = s3ClientSupplier;
  }

  /**
   * Told about every lock attempt, S3 request, release and lost lease (e.g. s3-lock-micrometer's
   * {@code MicrometerLockListener}); default {@link LockListener#NONE}. Set it in code before the scheduler
   * starts: Quartz's properties cannot carry an object, and it skips setters it has no property for.
   *
   * @param lockListener the listener, called on Quartz's threads and the renewal threads; null for none
   */
  public void setLockListener(LockListener lockListener) {
    settings.lockListener = lockListener == null ? LockListener.NONE : lockListener;
  }

  @Override
  public void setTablePrefix(String tablePrefix) {
    settings.tablePrefix = tablePrefix == null ? "" : tablePrefix;
  }

  @Override
  public void setSchedName(String schedName) {
    settings.schedName = schedName;
  }
}
