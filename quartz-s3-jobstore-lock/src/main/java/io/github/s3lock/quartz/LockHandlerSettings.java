package io.github.s3lock.quartz;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3ClientFactory;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.TimeMode;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Locale;
import java.util.function.Supplier;
import org.quartz.impl.jdbcjobstore.LockException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@code org.quartz.jobStore.lockHandler.*} properties of one {@link S3Semaphore}, and the
 * {@link S3LockClient} they describe. Quartz sets them through the public setters of {@link S3Semaphore}, which
 * write these fields; the lock code reads them when it runs, so nothing is copied before the first lock.
 */
final class LockHandlerSettings {

  String bucket;
  String keyPrefix = "quartz-locks/";
  String region;
  String endpoint;
  boolean pathStyleAccess;
  long leaseMillis = 30_000;
  long acquireTimeoutMillis = 60_000;
  long maxRetryIntervalMillis = 500;
  long affinityIdleMillis = 100;
  long affinityMaxHoldMillis = 2000;
  String timeMode = TimeMode.CLIENT.name();
  String lockedBy;
  String expectedBucketOwner;
  String s3ClientSupplier;
  String tablePrefix = "QRTZ_";
  String schedName = "QuartzScheduler";
  LockListener lockListener = LockListener.NONE;
  /** The local clock of lease ends and of the lock client; tests move it by hand. */
  InstantSource clock = InstantSource.system();

  /**
   * The renewal period of the hardening: a third of the lease, so that one failed renewal does not lose it. The
   * margins and the S3 call timeouts are counted in it; renewals themselves run twice as often
   * ({@link #renewalIntervalMillis()}).
   */
  long renewalPeriodMillis() {
    return Math.max(1, leaseMillis / 3);
  }

  /**
   * How often a held lease is renewed: every sixth of it (half a period). A lease kept between sections (lease
   * affinity) must have the margin of {@link #minimumLeaseLeftMillis()} whenever a section asks; renewed only every
   * period, it would fall below that margin by a round trip just before each renewal. Half a period leaves room for
   * a round trip and, in SERVER mode, for the uncertainty of the store's clock (half a second plus half a round
   * trip) when {@code leaseMillis} is a few seconds or more.
   */
  long renewalIntervalMillis() {
    return Math.max(1, leaseMillis / 6);
  }

  /** Whether a lease outlives the section that took it (lease affinity); {@code affinityMaxHoldMillis=0} is off. */
  boolean affinity() {
    return affinityMaxHoldMillis > 0;
  }

  /**
   * How long a node stays away from S3 after handing a lock back at the end of its turn, for a waiting node to take
   * it: a waiting node asks at least every {@code maxRetryIntervalMillis} (jittered backoff), and then needs a GET
   * and a PUT. The node's own release round trip stands for the others' round trips; half an interval and four round
   * trips more leave room for theirs being slower than ours (with exactly one interval and two round trips, a waiting
   * node on a loaded S3Mock lost the race about every other time). If the waiting node is slower still, it takes
   * the lock at the end of the next turn.
   */
  long chanceMillis(long releaseRoundTripMillis) {
    return maxRetryIntervalMillis * 3 / 2 + 4 * releaseRoundTripMillis;
  }

  /**
   * The least lease a section may start on: two renewal periods, as much as a renewed lease still has when its next
   * renewal starts. A lease that arrives with less (the acquiring requests were slow, or a pause came after them)
   * might run out before its first renewal has finished.
   */
  long minimumLeaseLeftMillis() {
    return 2 * renewalPeriodMillis();
  }

  /** Where the S3 client comes from: {@link S3Semaphore#newS3Client()}, which tests override. */
  interface S3ClientSource {
    S3Client newS3Client() throws LockException;
  }

  /** Checks the properties, then builds the lock client on the S3 client of {@code s3}. */
  S3LockClient newLockClient(S3ClientSource s3) throws LockException {
    if (bucket == null || bucket.isBlank()) {
      throw new LockException("org.quartz.jobStore.lockHandler.bucket is required (the S3 bucket for the locks)");
    }
    if (leaseMillis < 1000) {
      throw new LockException("org.quartz.jobStore.lockHandler.leaseMillis must be >= 1000, was " + leaseMillis);
    }
    if (acquireTimeoutMillis < 0 || maxRetryIntervalMillis < LeaseWait.FIRST_BACKOFF_MILLIS) {
      throw new LockException("org.quartz.jobStore.lockHandler.acquireTimeoutMillis must be >= 0 and"
          + " maxRetryIntervalMillis >= " + LeaseWait.FIRST_BACKOFF_MILLIS);
    }
    if (affinityMaxHoldMillis < 0 || affinityIdleMillis < 1) {
      throw new LockException("org.quartz.jobStore.lockHandler.affinityMaxHoldMillis must be >= 0 (0: no lease"
          + " affinity) and affinityIdleMillis >= 1, were " + affinityMaxHoldMillis + " and " + affinityIdleMillis);
    }
    TimeMode mode;
    try {
      mode = TimeMode.valueOf(String.valueOf(timeMode).trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new LockException("org.quartz.jobStore.lockHandler.timeMode must be CLIENT or SERVER, was " + timeMode);
    }
    if (lockedBy != null && lockedBy.isBlank()) {
      throw new LockException("org.quartz.jobStore.lockHandler.lockedBy must not be blank: leave it out for the"
          + " default (host/pid), or name the node");
    }
    if (keyPrefix == null) {
      throw new LockException("org.quartz.jobStore.lockHandler.keyPrefix must not be null: leave it out for the"
          + " default (quartz-locks/), or use an empty value for none");
    }
    try {
      return S3LockClient.builder()
          .s3Client(s3.newS3Client())
          .bucket(bucket)
          // Scheduler name and table prefix are the identity of a Quartz cluster: clusters can share a bucket.
          .keyPrefix(keyPrefix, schedName, tablePrefix)
          .lockedBy(lockedBy != null ? lockedBy : defaultLockedBy())
          .timeMode(mode)
          .expectedBucketOwner(expectedBucketOwner)
          .listener(lockListener)
          .clock(clock)
          .build();
    } catch (SdkClientException | IllegalArgumentException | IllegalStateException e) {
      throw new LockException("Cannot set up the S3 lock handler of scheduler '" + schedName + "' (check"
          + " org.quartz.jobStore.lockHandler.region/endpoint): " + e.getMessage(), e);
    }
  }

  /** The S3 client of {@code s3ClientSupplier}: the user's, whoever closes it. */
  S3Client suppliedS3Client() throws LockException {
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

  /** A new S3 client from {@code region/endpoint/pathStyleAccess}; whoever builds it closes it. */
  S3Client newS3Client() {
    // One renewal must not outlast its period: without timeouts the SDK waits 30 s per attempt (its socket
    // timeout) and retries, longer than the default lease. Each call, with the SDK's retries, ends within half a
    // period, so a renewal that times out still leaves the next one time to succeed before the lease runs out; an
    // attempt that stalls is given up after a quarter period and retried within the same call.
    Duration callTimeout = Duration.ofMillis(Math.max(2, renewalPeriodMillis() / 2));
    // Credentials: the SDK default chain only.
    return S3ClientFactory.builder().region(region).endpoint(endpoint).pathStyle(pathStyleAccess)
        .callTimeout(callTimeout).build();
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
}
