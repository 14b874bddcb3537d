package io.github.s3lock.core;

import io.github.s3lock.core.ConditionalWriteOutcome.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The one place that talks to S3 and decides what an answer means for the protocol: 200 / 304 / 404 / 409 /
 * 412 / 5xx / I/O become a {@link ConditionalWriteOutcome} or {@link ReadOutcome}; anything that no retry of the
 * protocol can fix (no bucket, access denied, wrong region, ...) becomes an {@link S3LockException} that names
 * the bucket, the key and the fix. Every response's {@code Date} header feeds the {@link StoreClock}.
 */
final class LockObjectStore {

  private static final Logger log = LoggerFactory.getLogger(LockObjectStore.class);
  private static final int BODY_READ_ATTEMPTS = 3;

  private final S3Client s3;
  private final String bucket;
  private final String keyPrefix;
  private final String expectedBucketOwner;
  private final StoreClock clock;
  private final LockListener listener;

  LockObjectStore(S3Client s3, String bucket, String keyPrefix, String expectedBucketOwner, StoreClock clock,
      LockListener listener) {
    this.s3 = s3;
    this.bucket = bucket;
    this.keyPrefix = keyPrefix;
    this.expectedBucketOwner = expectedBucketOwner;
    this.clock = clock;
    this.listener = listener;
  }

  String bucket() {
    return bucket;
  }

  /** {@code PUT If-None-Match: *}: creates the object only if there is none. */
  ConditionalWriteOutcome create(String key, byte[] body) {
    return put(key, body, b -> b.ifNoneMatch("*"));
  }

  /** {@code PUT If-Match: <ifMatch>}: replaces the object only if its ETag still matches (sent as given). */
  ConditionalWriteOutcome replace(String key, String ifMatch, byte[] body) {
    return put(key, body, b -> b.ifMatch(ifMatch));
  }

  private ConditionalWriteOutcome put(String key, byte[] body,
      java.util.function.Consumer<PutObjectRequest.Builder> condition) {
    PutObjectRequest.Builder request = PutObjectRequest.builder()
        .bucket(bucket)
        .key(key)
        .contentType("application/json")
        .expectedBucketOwner(expectedBucketOwner);
    condition.accept(request);
    long sent = clock.tick();
    try {
      PutObjectResponse response = s3.putObject(request.build(), RequestBody.fromBytes(body));
      observe(sent, response.sdkHttpResponse());
      listener.requestCompleted(LockListener.Request.PUT, response.sdkHttpResponse().statusCode());
      return ConditionalWriteOutcome.written(response.eTag());
    } catch (S3Exception e) {
      observe(sent, e);
      listener.requestCompleted(LockListener.Request.PUT, e.statusCode());
      int status = e.statusCode();
      String code = errorCode(e);
      if (status == 412) {
        return ConditionalWriteOutcome.of(Result.PRECONDITION_FAILED);
      }
      if (status == 404 && !"NoSuchBucket".equals(code)) {
        return ConditionalWriteOutcome.of(Result.NOT_FOUND);
      }
      if (status == 409) {
        return ConditionalWriteOutcome.of(Result.CONFLICT);
      }
      if (status >= 500 && status != 501) {
        // Radosgw 16 answers 500 UnknownError to some losers of an If-Match race (the write is not applied);
        // AWS answers 500/503 with the write applied or not. Either way only a read-back can tell.
        return ConditionalWriteOutcome.unknown(e);
      }
      throw failure("PUT", key, e);
    } catch (SdkClientException e) {
      listener.requestCompleted(LockListener.Request.PUT, 0);
      if (interrupted(e)) {
        throw interruptedDuring("PUT", key, e);
      }
      // Timeout or I/O error after the SDK's own retries: the request may have been applied.
      return ConditionalWriteOutcome.unknown(e);
    }
  }

  /**
   * GET of a lock object, conditional on {@code ifNoneMatch} when given (answers NOT_MODIFIED
   * while unchanged). Failures throw: a read is how uncertain outcomes are resolved, so it must not guess.
   */
  ReadOutcome read(String key, String ifNoneMatch) {
    GetObjectRequest request = GetObjectRequest.builder()
        .bucket(bucket)
        .key(key)
        .ifNoneMatch(ifNoneMatch)
        .expectedBucketOwner(expectedBucketOwner)
        .build();
    for (int attempt = 1; ; attempt++) {
      long sent = clock.tick();
      try (ResponseInputStream<GetObjectResponse> in = s3.getObject(request)) {
        observe(sent, in.response().sdkHttpResponse());
        listener.requestCompleted(LockListener.Request.GET, in.response().sdkHttpResponse().statusCode());
        byte[] body = readLimited(in, key);
        return ReadOutcome.found(in.response().eTag(), body, in.response().lastModified());
      } catch (S3Exception e) {
        observe(sent, e);
        listener.requestCompleted(LockListener.Request.GET, e.statusCode());
        int status = e.statusCode();
        if (status == 304) {
          return ReadOutcome.of(ReadOutcome.Result.NOT_MODIFIED);
        }
        if (status == 404 && !"NoSuchBucket".equals(errorCode(e))) {
          return ReadOutcome.of(ReadOutcome.Result.MISSING);
        }
        if (status == 403 && "AccessDenied".equals(errorCode(e))) {
          return ReadOutcome.denied(failure("GET", key, e));
        }
        throw failure("GET", key, e);
      } catch (SdkClientException e) {
        listener.requestCompleted(LockListener.Request.GET, 0);
        if (interrupted(e)) {
          throw interruptedDuring("GET", key, e);
        }
        throw unavailable("GET", key, e);
      } catch (IOException e) {
        // The SDK retries a GET until its headers arrive, not when the body breaks off; a GET is safe to repeat.
        if (attempt == BODY_READ_ATTEMPTS) {
          throw new S3LockException(S3LockException.Kind.UNAVAILABLE, "Reading s3://" + bucket + "/" + key
              + " broke off " + attempt + " times: " + e.getMessage(), e);
        }
        log.debug("Reading s3://{}/{} broke off ({}); reading again", bucket, key, e.toString());
      }
    }
  }

  /** Every key under {@code prefix}, for inspection (needs {@code s3:ListBucket}); never used to take a lock. */
  List<String> listKeys(String prefix) {
    try {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).expectedBucketOwner(expectedBucketOwner))
          .stream()
          .peek(page -> listener.requestCompleted(LockListener.Request.LIST, page.sdkHttpResponse().statusCode()))
          .flatMap(page -> page.contents().stream())
          .map(S3Object::key)
          .collect(Collectors.toList());
    } catch (S3Exception e) {
      if (e.statusCode() == 403) {
        throw new S3LockException(S3LockException.Kind.ACCESS_DENIED, "Access denied (403) listing s3://" + bucket
            + "/" + keyPrefix + ": listing locks needs s3:ListBucket on arn:aws:s3:::" + bucket
            + " (taking locks does not).", e);
      }
      throw failure("LIST", prefix, e);
    } catch (SdkClientException e) {
      if (interrupted(e)) {
        throw interruptedDuring("LIST", prefix, e);
      }
      throw unavailable("LIST", prefix, e);
    }
  }

  /** Best-effort delete of s3-lock's own objects (probe); lock objects are never deleted. */
  boolean deleteQuietly(String key) {
    try {
      int status = s3.deleteObject(b -> b.bucket(bucket).key(key).expectedBucketOwner(expectedBucketOwner))
          .sdkHttpResponse().statusCode();
      listener.requestCompleted(LockListener.Request.DELETE, status);
      return true;
    } catch (RuntimeException e) {
      listener.requestCompleted(LockListener.Request.DELETE, e instanceof S3Exception s3e ? s3e.statusCode() : 0);
      log.debug("Could not delete s3://{}/{} ({}); grant s3:DeleteObject on the prefix or add a lifecycle rule",
          bucket, key, e.getClass().getSimpleName());
      return false;
    }
  }

  private byte[] readLimited(ResponseInputStream<GetObjectResponse> in, String key) throws IOException {
    byte[] body = ((InputStream) in).readNBytes(LockRecordCodec.MAX_BODY_BYTES + 1);
    if (body.length > LockRecordCodec.MAX_BODY_BYTES) {
      in.abort();
      throw new S3LockException(S3LockException.Kind.CORRUPT_RECORD, "s3://" + bucket + "/" + key
          + " is larger than " + LockRecordCodec.MAX_BODY_BYTES + " bytes: not a lock record. Something else"
          + " writes under the lock prefix '" + keyPrefix + "'; give s3-lock a prefix of its own.");
    }
    return body;
  }

  private void observe(long sent, SdkHttpResponse response) {
    clock.observe(sent, clock.tick(), response.firstMatchingHeader("Date"));
  }

  private void observe(long sent, S3Exception e) {
    AwsErrorDetails details = e.awsErrorDetails();
    if (details != null && details.sdkHttpResponse() != null) {
      observe(sent, details.sdkHttpResponse());
    }
  }

  private static String errorCode(S3Exception e) {
    AwsErrorDetails details = e.awsErrorDetails();
    return details == null || details.errorCode() == null ? "" : details.errorCode();
  }

  /**
   * The SDK answers an interrupt with {@code AbortedException} and clears the thread's interrupt flag; callers
   * (Quartz's shutdown, executors) rely on the flag, so it is set again here.
   */
  private static boolean interrupted(SdkClientException e) {
    boolean interrupted = e instanceof AbortedException || Thread.currentThread().isInterrupted();
    for (Throwable t = e; t != null && !interrupted; t = t.getCause()) {
      interrupted = t instanceof InterruptedException || t instanceof InterruptedIOException;
    }
    return interrupted;
  }

  private S3LockException interruptedDuring(String method, String key, SdkClientException e) {
    Thread.currentThread().interrupt();
    return new S3LockException(S3LockException.Kind.INTERRUPTED, "Interrupted during " + method + " s3://" + bucket
        + "/" + key + (method.equals("PUT") ? "; if the write was applied, the lock frees itself at its lockUntil"
        : ""), e);
  }

  private S3LockException unavailable(String method, String key, SdkClientException e) {
    return new S3LockException(S3LockException.Kind.UNAVAILABLE, method + " s3://" + bucket + "/" + key
        + " failed after the SDK's retries: " + e.getMessage()
        + ". Check the endpoint and network, or raise the S3Client's timeouts/retries.", e);
  }

  /** Turns an answer that no protocol step can fix into an exception that says what to do. */
  private S3LockException failure(String method, String key, S3Exception e) {
    int status = e.statusCode();
    String code = errorCode(e);
    String where = method + " s3://" + bucket + "/" + key;
    String answer = " (" + status + (code.isEmpty() ? "" : " " + code) + ")";
    if ("NoSuchBucket".equals(code)) {
      return new S3LockException(S3LockException.Kind.BUCKET_NOT_FOUND, "Bucket '" + bucket + "' does not exist"
          + answer + " on " + where + ". Create it, or fix the bucket name.", e);
    }
    if (status == 403) {
      String fix = method.equals("GET")
          ? "grant s3:GetObject on arn:aws:s3:::" + bucket + "/" + keyPrefix + "*"
          : "grant s3:PutObject on arn:aws:s3:::" + bucket + "/" + keyPrefix + "*";
      String owner = expectedBucketOwner == null ? ""
          : ", and check that the bucket belongs to account " + expectedBucketOwner + " (expectedBucketOwner)";
      return new S3LockException(S3LockException.Kind.ACCESS_DENIED, "Access denied" + answer + " on " + where
          + ": " + fix + owner + ".", e);
    }
    if (status == 301 || "AuthorizationHeaderMalformed".equals(code) || "PermanentRedirect".equals(code)
        || "IllegalLocationConstraintException".equals(code)) {
      return new S3LockException(S3LockException.Kind.WRONG_REGION, "Bucket '" + bucket
          + "' is not in the region the S3Client is configured for" + answer + " on " + where
          + ". Build the S3Client with the bucket's region.", e);
    }
    if ("XAmzContentSHA256Mismatch".equals(code) || "BadDigest".equals(code)) {
      return new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "The store rejected the SDK's request"
          + " checksum" + answer + " on " + where + ". Build the S3Client with"
          + " requestChecksumCalculation(WHEN_REQUIRED) and responseChecksumValidation(WHEN_REQUIRED).", e);
    }
    if (status == 501) {
      return new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "The store does not implement"
          + " conditional writes" + answer + " on " + where + ". s3-lock needs If-None-Match and If-Match on PUT.",
          e);
    }
    if (status >= 500) {
      return new S3LockException(S3LockException.Kind.UNAVAILABLE, where + " kept failing" + answer
          + " after the SDK's retries: " + message(e), e);
    }
    return new S3LockException(S3LockException.Kind.REQUEST_REFUSED, where + " was rejected" + answer + ": " + message(e),
        e);
  }

  private static String message(S3Exception e) {
    AwsErrorDetails details = e.awsErrorDetails();
    return Optional.ofNullable(details).map(AwsErrorDetails::errorMessage).orElse("no error message");
  }
}
