package io.github.s3lock.core;

import java.time.Instant;

/**
 * What a holder has after acquiring a lock: the record it wrote and that record's ETag. Release and extend are
 * conditional on this ETag, so once anyone else has written the object, this lease can neither release nor
 * extend it. Immutable; extend returns a new lease and the old one is spent.
 */
public final class Lease {

  private final String key;
  private final LockRecord record;
  private final String etag;

  Lease(String key, LockRecord record, String etag) {
    this.key = key;
    this.record = record;
    this.etag = etag;
  }

  /** @return the lock name */
  public String name() {
    return record.name();
  }

  /** The object key of the lock. */
  String key() {
    return key;
  }

  /**
   * The fencing token of this acquisition: larger than that of every earlier acquisition of this name. Pass it
   * to downstream systems so that they can refuse writes from a holder whose lease has been taken over. See
   * {@code docs/protocol.md} for the guarantee across a deleted lock object.
   *
   * @return the token
   */
  public long token() {
    return record.token();
  }

  /** @return until when the lock is held, in store time */
  public Instant lockUntil() {
    return record.lockUntil();
  }

  LockRecord record() {
    return record;
  }

  String etag() {
    return etag;
  }

  @Override
  public String toString() {
    return "Lease[" + record.name() + ", token " + record.token() + ", until " + record.lockUntil() + "]";
  }
}
