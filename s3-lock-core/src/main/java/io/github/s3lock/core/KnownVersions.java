package io.github.s3lock.core;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last version of each lock object a client saw, by key: what lets the common cases take one request. Only a
 * cost saver, never a safety input (every write is conditional, so a stale entry costs a 412 and a read, not a
 * second holder).
 *
 * <p>Bounded (least recently used out), because lock names can be dynamic ({@code "report-" + customerId}) and an
 * operator's {@code list()} must not grow a scheduler's heap. Newer wins: two threads of one client can finish
 * their reads and writes of one lock in either order, and the one that finishes last may carry the older
 * version. Only versions of one acquisition (one owner nonce) are ordered, by revision; between acquisitions the
 * last answer wins, which at worst costs one more read.
 */
final class KnownVersions {

  /** Plenty for any scheduler's lock names; about 300 bytes per entry. */
  static final int DEFAULT_CAPACITY = 10_000;

  /**
   * A version of a lock object: its record and ETag, whether this client wrote it, and its last-modified time
   * when it was read from S3 (null for our own writes).
   */
  record Version(LockRecord record, String etag, boolean ours, Instant lastModified) {
    Version(LockRecord record, String etag, boolean ours) {
      this(record, etag, ours, null);
    }

    Version asOurs() {
      return new Version(record, etag, true, lastModified);
    }

    /**
     * An earlier write of the same acquisition. Versions of different acquisitions are not ordered here: tokens
     * usually order them, but not across a deleted object re-created within the clock window (a fresh read that
     * refused such a version kept a node believing it still held the lock; the simulation found it).
     */
    boolean olderThan(Version other) {
      return record.owner().equals(other.record.owner()) && record.revision() < other.record.revision();
    }
  }

  private final Map<String, Version> versions;

  KnownVersions(int capacity) {
    this.versions = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Version> eldest) {
        return size() > capacity;
      }
    };
  }

  synchronized Version get(String key) {
    return versions.get(key);
  }

  /** Remembers {@code version} unless a newer one is known; null means the object was found missing. */
  synchronized void update(String key, Version version) {
    if (version == null) {
      versions.remove(key);
      return;
    }
    Version known = versions.get(key);
    if (known == null || !version.olderThan(known)) {
      versions.put(key, version);
    }
  }

  synchronized int size() {
    return versions.size();
  }
}
