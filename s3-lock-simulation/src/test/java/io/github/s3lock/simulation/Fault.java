package io.github.s3lock.simulation;

/** The faults the simulated network and store inject, each as S3 or a network really produces it. */
enum Fault {
  /** The request and its response each take hundreds of milliseconds (or seconds) instead of a few. */
  LATENCY_SPIKE,
  /** The request never reaches the store; the client times out with an I/O error. Not applied. */
  DROPPED_BEFORE_APPLY,
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
  BODY_BROKEN_OFF
}
