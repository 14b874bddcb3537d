package io.github.s3lock.core;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What a lock object stores (format 1), as a small JSON document in the object body.
 *
 * @param name the lock name as the user gave it (the key holds it encoded)
 * @param lockUntil until when the holder owns the lock, in store time; after it anyone may take it over
 * @param lockedAt when this acquisition happened, in store time
 * @param lockedBy who holds it, for people (host name by default)
 * @param owner a random nonce per acquisition: only its holder writes records with it, so a read-back tells
 *     the holder's own write from anyone else's
 * @param token the fencing token: grows by one on every acquisition of this name, never on extend or release
 * @param revision grows by one on every write of the object, so that every write has a unique body and ETag
 */
public record LockRecord(
    String name, Instant lockUntil, Instant lockedAt, String lockedBy, String owner, long token, long revision) {

  /** The body format this version reads and writes. */
  public static final int FORMAT = 1;

  public LockRecord {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(lockedBy, "lockedBy");
    Objects.requireNonNull(owner, "owner");
    // The body carries epoch millis: truncate so that a record read back equals the record written.
    lockUntil = lockUntil.truncatedTo(ChronoUnit.MILLIS);
    lockedAt = lockedAt.truncatedTo(ChronoUnit.MILLIS);
  }

  /** The same acquisition with another {@code lockUntil}: what release and extend write. */
  LockRecord rewrittenUntil(Instant newLockUntil) {
    return new LockRecord(name, newLockUntil, lockedAt, lockedBy, owner, token, revision + 1);
  }
}
