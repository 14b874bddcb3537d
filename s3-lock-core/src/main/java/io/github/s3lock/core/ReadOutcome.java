package io.github.s3lock.core;

import java.time.Instant;

/** What a GET of a lock object found, as decided by {@link LockObjectStore}. */
record ReadOutcome(Result result, String etag, byte[] body, Instant lastModified, S3LockException denial) {

  enum Result {
    /** 200: {@link #body()}, {@link #etag()} and {@link #lastModified()} are the object's. */
    FOUND,
    /** 304 to {@code If-None-Match}: unchanged since the ETag we sent. */
    NOT_MODIFIED,
    /** 404: no such object. */
    MISSING,
    /**
     * 403 AccessDenied: either the object exists and may not be read, or it is missing and the caller lacks
     * s3:ListBucket (S3 then answers 403 instead of 404, so as not to reveal whether the key exists). Only a
     * write can tell which; {@link #denial()} is the exception to throw when it is the former.
     */
    DENIED
  }

  static ReadOutcome found(String etag, byte[] body, Instant lastModified) {
    return new ReadOutcome(Result.FOUND, etag, body, lastModified, null);
  }

  static ReadOutcome of(Result result) {
    return new ReadOutcome(result, null, null, null, null);
  }

  static ReadOutcome denied(S3LockException denial) {
    return new ReadOutcome(Result.DENIED, null, null, null, denial);
  }
}
