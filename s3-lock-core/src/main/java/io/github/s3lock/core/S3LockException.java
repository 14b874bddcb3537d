package io.github.s3lock.core;

/**
 * A lock operation failed for a reason that retrying the same call will not fix by itself, or whose outcome
 * could not be established. Never thrown for "held by someone else" (that is an empty result) or for a lost
 * race (412/409). Messages name the bucket and key and the fix, and never carry credentials.
 */
public final class S3LockException extends RuntimeException {

  /** What went wrong, for callers that react differently (adapters, the CLI, tests). */
  public enum Kind {
    /** The bucket does not exist. */
    BUCKET_NOT_FOUND,
    /** 403: the credentials may not read or write the lock objects, or the bucket belongs to another owner. */
    ACCESS_DENIED,
    /** The bucket is in another region than the client is configured for. */
    WRONG_REGION,
    /** The store ignores conditional writes or answers them in a way the protocol cannot rely on. */
    STORE_NOT_CONFORMANT,
    /** The store could not be reached, or kept failing (5xx, timeouts) after the SDK's retries. */
    UNAVAILABLE,
    /**
     * The calling thread was interrupted while taking a lock (its interrupt flag is set again). An acquiring write
     * that was applied is undone; the message says whether it was. Release is not interrupted.
     */
    INTERRUPTED,
    /** A lock object holds something that is not a lock record this version understands. */
    CORRUPT_RECORD,
    /** The store refused a request for another reason (the message has its status and error code). */
    REQUEST_REFUSED
  }

  /** Why the operation failed; serialized with the exception. */
  private final Kind kind;

  S3LockException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  S3LockException(Kind kind, String message) {
    this(kind, message, null);
  }

  /** @return what went wrong */
  public Kind kind() {
    return kind;
  }
}
