package io.github.s3lock.core;

import java.time.Instant;

/** What a GET of a lock object found, as decided by {@link LockObjectStore}. */
record ReadOutcome(Result result, String etag, byte[] body, Instant lastModified) {

  enum Result {
    /** 200: {@link #body()}, {@link #etag()} and {@link #lastModified()} are the object's. */
    FOUND,
    /** 304 to {@code If-None-Match}: unchanged since the ETag we sent. */
    NOT_MODIFIED,
    /** 404: no such object. */
    MISSING
  }

  static ReadOutcome found(String etag, byte[] body, Instant lastModified) {
    return new ReadOutcome(Result.FOUND, etag, body, lastModified);
  }

  static ReadOutcome of(Result result) {
    return new ReadOutcome(result, null, null, null);
  }
}
