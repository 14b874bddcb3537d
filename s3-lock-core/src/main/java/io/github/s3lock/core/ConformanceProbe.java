package io.github.s3lock.core;

import io.github.s3lock.core.ConditionalWriteOutcome.Result;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Writes a few objects under {@code <prefix>.s3-lock-probe/<uuid>/} to learn whether the store honours
 * conditional writes, and in which dialect. Some S3-compatible stores accept the headers and ignore them
 * (measured: Robothy local-s3, s3rver); a lock on such a store lets every node in, so it must fail fast.
 *
 * <p>Cost: 6 PUTs (probe bodies are unique, so every write changes the ETag) and 1-2 DELETEs, once per client.
 * Without {@code s3:DeleteObject} the tiny probe object stays; a lifecycle rule on the prefix removes it.
 */
final class ConformanceProbe {

  /** An ETag no store produces: If-Match with it must fail. */
  private static final String WRONG_ETAG = "\"00000000000000000000000000000000\"";
  private static final StoreDialect QUOTED = new StoreDialect(true, 404);
  private static final StoreDialect UNQUOTED = new StoreDialect(false, 404);

  private final LockObjectStore store;
  private final KeyLayout keys;
  private final StoreClock clock;
  private int writes;

  ConformanceProbe(LockObjectStore store, KeyLayout keys, StoreClock clock) {
    this.store = store;
    this.keys = keys;
    this.clock = clock;
  }

  ConformanceReport run() {
    String base = keys.reservedKey("probe/" + UUID.randomUUID());
    String key = base + "/object";
    String missingKey = base + "/missing";
    try {
      ConditionalWriteOutcome created = store.create(key, body());
      if (!created.isWritten()) {
        throw probeFailed("creating " + key + " with If-None-Match: *", created);
      }
      String etag = created.etag();

      ConditionalWriteOutcome again = store.create(key, body());
      boolean ifNoneMatchHonoured = switch (again.result()) {
        case PRECONDITION_FAILED, CONFLICT -> true;
        case WRITTEN -> false;
        case NOT_FOUND, UNKNOWN -> throw probeFailed("a second If-None-Match: * PUT of " + key, again);
      };
      etag = again.isWritten() ? again.etag() : etag;

      ConditionalWriteOutcome wrong = store.replace(key, WRONG_ETAG, body());
      boolean ifMatchHonoured = switch (wrong.result()) {
        case PRECONDITION_FAILED -> true;
        case WRITTEN -> false;
        case NOT_FOUND, CONFLICT, UNKNOWN -> throw probeFailed("If-Match with a wrong ETag on " + key,
            wrong);
      };
      etag = wrong.isWritten() ? wrong.etag() : etag;

      ConditionalWriteOutcome quoted = store.replace(key, QUOTED.ifMatch(etag), body());
      etag = quoted.isWritten() ? quoted.etag() : etag;
      ConditionalWriteOutcome unquoted = store.replace(key, UNQUOTED.ifMatch(etag), body());

      ConditionalWriteOutcome missing = store.replace(missingKey, WRONG_ETAG, body());
      int missingStatus = switch (missing.result()) {
        case NOT_FOUND -> 404;
        case PRECONDITION_FAILED -> 412;
        case WRITTEN -> 200;
        case CONFLICT, UNKNOWN -> throw probeFailed("If-Match on the missing key " + missingKey,
            missing);
      };
      if (missing.isWritten()) {
        store.deleteQuietly(missingKey);
      }

      return new ConformanceReport(store.bucket(), keys.prefix(), ifNoneMatchHonoured, ifMatchHonoured,
          quoted.isWritten(), unquoted.isWritten(), missingStatus, clock.skew());
    } finally {
      store.deleteQuietly(key);
    }
  }

  private byte[] body() {
    writes++;
    return ("{\"probe\":" + writes + ",\"nonce\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The probe is the first thing a new client sends, so it meets the commonest set-up mistakes first (no
   * credentials, a wrong or unreachable endpoint): the SDK's own message is kept, and the exception chained.
   */
  private S3LockException probeFailed(String step, ConditionalWriteOutcome outcome) {
    String where = "Conformance probe of s3://" + store.bucket() + "/" + keys.prefix();
    RuntimeException cause = outcome.cause();
    if (cause == null) {
      return new S3LockException(S3LockException.Kind.UNAVAILABLE, where + " failed: " + step + " answered "
          + outcome.result() + ". Retry, or check the store's health.");
    }
    if (missingCredentials(cause)) {
      // The SDK's message names the providers it tried, never a secret.
      return new S3LockException(S3LockException.Kind.UNAVAILABLE, where + " could not sign its first request: no"
          + " AWS credentials (" + cause.getMessage() + "). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
          + " AWS_PROFILE (~/.aws/credentials, SSO), or run with a container or instance role; or build the S3Client"
          + " with a credentials provider.", cause);
    }
    return new S3LockException(S3LockException.Kind.UNAVAILABLE, where + " failed: " + step + " got no answer ("
        + cause.getMessage() + "). Check the S3Client's endpoint and region, the network and the store's health,"
        + " then retry.", cause);
  }

  /**
   * The AWS SDK v2 has no exception type for "no credentials": every credentials provider, and the default chain,
   * throws {@code SdkClientException} with a message that starts "Unable to load credentials" (2.x up to 2.57).
   */
  private static boolean missingCredentials(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().startsWith("Unable to load credentials")) {
        return true;
      }
    }
    return false;
  }
}
