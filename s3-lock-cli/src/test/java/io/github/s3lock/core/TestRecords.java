package io.github.s3lock.core;

import java.time.Instant;

/** Lock records for rendering tests: only s3-lock itself constructs records. */
public final class TestRecords {

  private TestRecords() {}

  public static LockRecord record(String name, Instant lockUntil, Instant lockedAt, String lockedBy, long token) {
    return new LockRecord(name, lockUntil, lockedAt, lockedBy, "owner-of-" + name, token, 1);
  }
}
