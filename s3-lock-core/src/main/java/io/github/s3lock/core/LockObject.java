package io.github.s3lock.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A lock object as S3 holds it, for operators: its record, and when S3 last stored a write to it (acquire,
 * extend or release; the record's {@code lockedAt} only changes on acquire). {@code lastModified} is the store's
 * clock, to the second on most stores, and null from a store that sends no {@code Last-Modified} header (AWS S3,
 * Ceph radosgw and S3Mock all send it).
 *
 * @param record the lock record the object holds
 * @param lastModified when S3 last stored a write to it, or null when the store does not say
 */
public record LockObject(LockRecord record, Instant lastModified) {

  /**
   * Requires a record.
   *
   * @param record the lock record the object holds; not null
   * @param lastModified when S3 last stored a write to it, or null when the store does not say
   * @throws NullPointerException when {@code record} is null
   */
  public LockObject {
    Objects.requireNonNull(record, "record");
  }
}
