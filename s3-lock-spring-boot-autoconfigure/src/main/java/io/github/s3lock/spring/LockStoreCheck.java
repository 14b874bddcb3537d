package io.github.s3lock.spring;

import io.github.s3lock.core.ConformanceReport;
import io.github.s3lock.core.S3LockAdmin;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.StoreDialect;
import io.github.s3lock.core.TimeMode;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One look at the lock store under one key prefix, as the start-up check and the health indicator take it: the
 * conformance probe (a few writes: bucket, credentials, {@code s3:PutObject}, conditional writes) or one GET (reads
 * only: bucket, credentials, reachability). Every failure comes back as the core's message, which names the cause
 * and the fix.
 */
final class LockStoreCheck {

  /** A lock name no application uses; its object is never written, so a GET of it costs one request. */
  static final String READ_CHECK_NAME = ".s3-lock-health";

  /**
   * What a check found: on success what the store answered, on failure the cause and the fix. {@code cause} is
   * null when the store answered but is not fit for locking.
   */
  record Outcome(boolean passed, String message, RuntimeException cause, StoreDialect dialect) {

    static Outcome passed(String message, StoreDialect dialect) {
      return new Outcome(true, message, null, dialect);
    }

    static Outcome failed(String message, RuntimeException cause) {
      return new Outcome(false, message, cause, null);
    }
  }

  private final S3LockAdmin admin;
  private final boolean serverTime;
  private final String where;

  LockStoreCheck(S3Client s3, String bucket, String keyPrefix, boolean serverTime) {
    this.admin = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix(keyPrefix)
        .timeMode(serverTime ? TimeMode.SERVER : TimeMode.CLIENT).buildAdmin();
    this.serverTime = serverTime;
    this.where = "s3://" + bucket + "/" + keyPrefix + s3.serviceClientConfiguration().endpointOverride()
        .map(endpoint -> " at " + endpoint).orElse("");
  }

  /** {@code s3://bucket/prefix}, and the endpoint when it is not AWS S3. */
  String where() {
    return where;
  }

  /** The conformance probe: 6 PUTs and 1-2 DELETEs under {@code <prefix>.s3-lock-probe/}. */
  Outcome probe() {
    ConformanceReport report;
    try {
      report = admin.probe();
    } catch (S3LockException e) {
      return Outcome.failed(e.getMessage(), e);
    }
    if (!report.safeForLocking()) {
      return Outcome.failed("the store is not safe for locking: " + String.join("; ", report.problems())
          + ". Use a store that honours conditional writes (AWS S3, Ceph radosgw 16+).", null);
    }
    if (serverTime && report.clockSkew().isEmpty()) {
      return Outcome.failed("the store sent no usable Date header, which s3lock.server-time=true needs. Set"
          + " s3lock.server-time=false (and keep the nodes' clocks in sync), or use a store that sends Date.", null);
    }
    StoreDialect dialect = report.dialect().orElseThrow();
    return Outcome.passed("safe for locking (If-Match sends the ETag " + (dialect.quotedIfMatch() ? "quoted"
        : "unquoted") + ")", dialect);
  }

  /** One GET of a key under the prefix that no lock uses. */
  Outcome read() {
    try {
      admin.show(READ_CHECK_NAME);
      return Outcome.passed("the store answered a GET", null);
    } catch (S3LockException e) {
      if (deniedOnAMissingKey(e)) {
        // S3 answers 403, not 404, for a missing key when the caller lacks s3:ListBucket (which locking does not
        // need): the store answered and accepted the credentials.
        return Outcome.passed("the store answered a GET with 403, as S3 does for a missing key without"
            + " s3:ListBucket", null);
      }
      return Outcome.failed(e.getMessage(), e);
    }
  }

  private static boolean deniedOnAMissingKey(S3LockException e) {
    return e.kind() == S3LockException.Kind.ACCESS_DENIED && e.getCause() instanceof S3Exception s3
        && s3.awsErrorDetails() != null && "AccessDenied".equals(s3.awsErrorDetails().errorCode());
  }
}
