package io.github.s3lock.simulation;

/**
 * The faults the simulation injects, each as S3, a network, an operator or a host really produces it. The first
 * group hits one request; the second hits a node or a lock object, independent of any request.
 */
enum Fault {
  /** The request and its response each take hundreds of milliseconds (or seconds) instead of a few. */
  LATENCY_SPIKE,
  /** The request never reaches the store; the client times out with an I/O error. Not applied. */
  DROPPED_BEFORE_APPLY,
  /**
   * The client times out as for {@link #DROPPED_BEFORE_APPLY}, but the request is stuck in a queue on the way
   * (a proxy, a load balancer, S3's front end) and the store applies it later, with its conditions evaluated
   * then: possibly after the client's read-back, or after the call returned.
   */
  LANDS_LATE,
  /** The write is applied and the connection breaks before the response: an I/O error after commit. */
  APPLIED_RESPONSE_LOST,
  /** The write is applied and the client sees 500 InternalError (AWS documents both outcomes for a 500). */
  APPLIED_THEN_500,
  /** The write is applied and the client sees 503 SlowDown. */
  APPLIED_THEN_503,
  /** 409 ConditionalRequestConflict without applying: S3's answer to racing conditional writes. */
  CONFLICT_409,
  /** 500 InternalError without applying. */
  ERROR_500,
  /** 503 SlowDown without applying, in bursts that hit every node for up to two seconds. */
  SLOWDOWN_503,
  /** A GET's body breaks off after its headers (the SDK does not retry that; the core reads again). */
  BODY_BROKEN_OFF,
  /**
   * The calling thread is interrupted while its request is in flight (a scheduler shutting down, a cancelled
   * future): before the store saw it, or after the store applied it. The SDK notices the flag and aborts.
   */
  INTERRUPTED_IN_FLIGHT,

  /** The node's thread is interrupted just before it calls acquire, extend or release. */
  INTERRUPTED_BEFORE_CALL,
  /** An operator or a lifecycle rule deletes a lock object (unconditionally), held or not. */
  LOCK_OBJECT_DELETED,
  /** A node's wall clock steps by seconds (NTP step, VM resume); its monotonic clock does not. */
  WALL_CLOCK_STEP,
  /** The node's {@code LockListener} throws from one of its calls. */
  LISTENER_THREW
}
