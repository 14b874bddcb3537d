package io.github.s3lock.core;

import java.time.Duration;

/**
 * Told what an {@link S3LockClient} does, for metrics and logs (s3-lock-micrometer implements it). Called on the
 * thread that made the call, after the fact; implementations must be fast. One that throws cannot change a
 * lock's outcome: the exception is caught, logged once and counted.
 */
public interface LockListener {

  /** A listener that does nothing: the default. */
  LockListener NONE = new LockListener() {};

  /** How a {@link S3LockClient#tryAcquire} call ended. */
  enum AttemptOutcome {
    /** The lock was taken. */
    ACQUIRED,
    /** Someone holds it, or won the race for it. */
    HELD,
    /** An {@link S3LockException} was thrown. */
    ERROR
  }

  /**
   * One {@code tryAcquire} call: its outcome and how long it took, S3 requests included.
   *
   * @param lockName the lock name
   * @param outcome how the call ended
   * @param latency how long it took
   */
  default void attempted(String lockName, AttemptOutcome outcome, Duration latency) {}

  /** The kind of S3 request a {@link #requestCompleted} call reports. */
  enum Request {
    /** A read of one lock object (conditional or not). */
    GET,
    /** A conditional write of one lock object. */
    PUT,
    /** A delete of one lock object (operators, the probe's own keys). */
    DELETE,
    /** One page of a listing (operators only). */
    LIST
  }

  /**
   * One S3 request as the protocol saw it, called once its answer (or failure) arrived, after the SDK's retries.
   * The default passes it on to {@link #requestSent}, so that listeners written before this method keep counting.
   *
   * @param request which request
   * @param status the HTTP status, or 0 when no answer arrived (timeout, I/O error)
   */
  default void requestCompleted(Request request, int status) {
    requestSent(request.name(), status);
  }

  /**
   * The former name of {@link #requestCompleted}, which reports a request once its answer arrived: called only by
   * the default {@code requestCompleted}.
   *
   * @param method {@code PUT}, {@code GET}, {@code DELETE} or {@code LIST}
   * @param status the HTTP status, or 0 when no answer arrived (timeout, I/O error)
   * @deprecated override {@link #requestCompleted} instead; this one goes in a later major version
   */
  @Deprecated
  default void requestSent(String method, int status) {}

  /**
   * A lease was released.
   *
   * @param lockName the lock name
   * @param heldFor from its acquisition to the release, in store time
   */
  default void released(String lockName, Duration heldFor) {}

  /**
   * A lease turned out to be lost when its holder tried to release or extend it.
   *
   * @param lockName the lock name
   */
  default void leaseLost(String lockName) {}
}
