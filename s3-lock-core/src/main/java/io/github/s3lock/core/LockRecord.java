package io.github.s3lock.core;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * What a lock object stores (format 1), as a small JSON document in the object body: who holds the lock, until
 * when, and the fencing token of the acquisition. Immutable. Only s3-lock writes records; what users read is
 * here, the protocol's own fields (the owner nonce, the revision) are not API.
 */
public final class LockRecord {

  /** The body format this version reads and writes. */
  public static final int FORMAT = 1;

  private final String name;
  private final Instant lockUntil;
  private final Instant lockedAt;
  private final String lockedBy;
  private final String owner;
  private final long token;
  private final long revision;

  /**
   * @param owner a random nonce per acquisition: only its holder writes records with it, so a read-back tells
   *     the holder's own write from anyone else's
   * @param revision grows by one on every write of the object, so that every write has a unique body and ETag
   */
  LockRecord(String name, Instant lockUntil, Instant lockedAt, String lockedBy, String owner, long token,
      long revision) {
    this.name = Objects.requireNonNull(name, "name");
    this.lockedBy = Objects.requireNonNull(lockedBy, "lockedBy");
    this.owner = Objects.requireNonNull(owner, "owner");
    // The body carries epoch millis: truncate so that a record read back equals the record written.
    this.lockUntil = lockUntil.truncatedTo(ChronoUnit.MILLIS);
    this.lockedAt = lockedAt.truncatedTo(ChronoUnit.MILLIS);
    this.token = token;
    this.revision = revision;
  }

  /** @return the lock name as the user gave it (the key holds it encoded) */
  public String name() {
    return name;
  }

  /** @return until when the holder owns the lock, in store time; after it anyone may take it over */
  public Instant lockUntil() {
    return lockUntil;
  }

  /** @return when this acquisition happened, in store time */
  public Instant lockedAt() {
    return lockedAt;
  }

  /** @return who holds it, for people (host name by default) */
  public String lockedBy() {
    return lockedBy;
  }

  /** @return the fencing token of this acquisition; unchanged by extend and release */
  public long token() {
    return token;
  }

  String owner() {
    return owner;
  }

  long revision() {
    return revision;
  }

  /** The same acquisition with another {@code lockUntil}: what release and extend write. */
  LockRecord rewrittenUntil(Instant newLockUntil) {
    return new LockRecord(name, newLockUntil, lockedAt, lockedBy, owner, token, revision + 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LockRecord r && token == r.token && revision == r.revision && name.equals(r.name)
        && lockUntil.equals(r.lockUntil) && lockedAt.equals(r.lockedAt) && lockedBy.equals(r.lockedBy)
        && owner.equals(r.owner);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, lockUntil, lockedAt, lockedBy, owner, token, revision);
  }

  @Override
  public String toString() {
    return "LockRecord[name=" + name + ", lockUntil=" + lockUntil + ", lockedAt=" + lockedAt + ", lockedBy="
        + lockedBy + ", token=" + token + "]";
  }
}
