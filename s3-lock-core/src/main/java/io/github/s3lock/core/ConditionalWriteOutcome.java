package io.github.s3lock.core;

/**
 * What a conditional PUT did, as decided by {@link LockObjectStore}. Failures that are not about the condition
 * (no bucket, access denied, ...) are thrown as {@link S3LockException} instead.
 */
record ConditionalWriteOutcome(Result result, String etag, RuntimeException cause) {

  enum Result {
    /** 200: the write was applied; {@link #etag()} is the object's new ETag. */
    WRITTEN,
    /** 412: the condition did not hold (the object exists, or has another ETag). This request wrote nothing. */
    PRECONDITION_FAILED,
    /** 404 to {@code If-Match}: the object is gone (AWS; radosgw answers 412 instead). */
    NOT_FOUND,
    /** 409 ConditionalRequestConflict: a concurrent conditional write raced this one. This request wrote nothing. */
    CONFLICT,
    /**
     * 5xx, timeout or I/O error: the write may or may not have been applied (and the SDK may have retried it,
     * so a later 412 can hide our own success). Only a read-back can tell, by looking for our own record.
     */
    UNKNOWN
  }

  static ConditionalWriteOutcome written(String etag) {
    return new ConditionalWriteOutcome(Result.WRITTEN, etag, null);
  }

  static ConditionalWriteOutcome of(Result result) {
    return new ConditionalWriteOutcome(result, null, null);
  }

  static ConditionalWriteOutcome unknown(RuntimeException cause) {
    return new ConditionalWriteOutcome(Result.UNKNOWN, null, cause);
  }

  boolean isWritten() {
    return result == Result.WRITTEN;
  }
}
