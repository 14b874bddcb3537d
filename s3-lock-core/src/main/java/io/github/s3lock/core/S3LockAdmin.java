package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import io.github.s3lock.core.LockObjects.Resolution;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * For operators (the {@code s3-lock} CLI, a health check): list the locks under a prefix, show one, free one by
 * force, and probe the store. Built from the same {@link S3LockClient.Builder} as the client that takes the
 * locks ({@link S3LockClient.Builder#buildAdmin()}). Listing needs {@code s3:ListBucket}, which taking locks does
 * not. Thread-safe.
 */
public final class S3LockAdmin {

  private final LockObjects objects;
  private final String lockedBy;

  S3LockAdmin(S3LockClient.Builder b) {
    this.objects = b.lockObjects(IsolatedListener.of(b.listener()));
    this.lockedBy = b.lockedBy();
  }

  /**
   * What {@link #forceRelease} did, and the record it found.
   *
   * @param result what was done
   * @param found the record as read before any write; null when the lock is {@link Result#MISSING}
   */
  public record OperatorRelease(Result result, LockRecord found) {
    /** The outcome of a forced release. */
    public enum Result {
      /** The lock was held (or kept by lockAtLeastUntil) and is now free. */
      RELEASED,
      /** It was free already: nothing written. */
      ALREADY_FREE,
      /** It is held and {@code evenIfHeld} was false: nothing written. */
      HELD,
      /** Someone wrote it between our read and our write: nothing released; look again. */
      CHANGED,
      /** There is no such lock. */
      MISSING
    }
  }

  /**
   * Every lock under the key prefix with its current record and last-modified time (one LIST request per 1,000
   * keys and one GET per lock). Needs {@code s3:ListBucket}.
   *
   * @return the locks, in the order S3 lists their keys
   * @throws S3LockException of kind CORRUPT_RECORD naming the key of an object that is not a lock record, or
   *     ACCESS_DENIED naming {@code s3:ListBucket}
   */
  public List<LockObject> list() {
    List<LockObject> locks = new ArrayList<>();
    String reserved = objects.keys.reservedKey("");
    String prefix = objects.keys.prefix();
    for (String key : objects.store.listKeys(prefix)) {
      if (key.startsWith(reserved) || key.substring(prefix.length()).contains("/")) {
        continue; // s3-lock's own objects, or another prefix nested under ours
      }
      Version current = objects.fetch(key, null, false);
      if (current != null) {
        locks.add(new LockObject(current.record(), current.lastModified()));
      }
    }
    return locks;
  }

  /**
   * One lock with the object's last-modified time (one GET).
   *
   * @param name the lock name
   * @return the lock, or empty when its object does not exist
   */
  public Optional<LockObject> show(String name) {
    return Optional.ofNullable(objects.fetch(objects.keys.keyFor(name), null, false))
        .map(v -> new LockObject(v.record(), v.lastModified()));
  }

  /**
   * Frees a lock on behalf of an operator: reads it, then rewrites it with {@code lockUntil = now}, conditional
   * on the ETag just read, so a lock taken in between is never clobbered. The holder's next release or extend
   * fails (its ETag is gone, and the record carries the operator's nonce, not the holder's) and is logged as a
   * lost lease. Without {@code evenIfHeld}, refuses a lock whose {@code lockUntil} has not passed.
   *
   * @param name the lock name
   * @param evenIfHeld whether to free a lock whose holder may still be working
   * @return what was done, and the record found
   */
  public OperatorRelease forceRelease(String name, boolean evenIfHeld) {
    String key = objects.keys.keyFor(name);
    Version current = objects.fetch(key, null, false);
    if (current == null) {
      return new OperatorRelease(OperatorRelease.Result.MISSING, null);
    }
    if (objects.expired(current.record())) {
      return new OperatorRelease(OperatorRelease.Result.ALREADY_FREE, current.record());
    }
    if (!evenIfHeld) {
      return new OperatorRelease(OperatorRelease.Result.HELD, current.record());
    }
    objects.ensureReady(true); // a write needs the store's If-Match dialect (radosgw 16 takes ETags unquoted only)
    LockRecord held = current.record();
    LockRecord freed = new LockRecord(held.name(), objects.clock.now(), held.lockedAt(),
        lockedBy + " (operator release)", UUID.randomUUID().toString(), held.token(), held.revision() + 1);
    Resolution resolved = objects.writeAndResolve(key, freed, false,
        () -> objects.store.replace(key, objects.ifMatch(current.etag()), LockRecordCodec.encode(freed)));
    return new OperatorRelease(resolved.ours() ? OperatorRelease.Result.RELEASED : OperatorRelease.Result.CHANGED,
        held);
  }

  /**
   * Runs the conformance probe: a few writes under the prefix's reserved {@code .s3-lock-probe/} keys that tell
   * whether the store honours conditional writes, and in which dialect. When it is safe, this admin uses the
   * dialect it found.
   *
   * @return what the probe found
   * @throws S3LockException when the store cannot be reached or refuses the writes (the message names the cause)
   */
  public ConformanceReport probe() {
    return objects.runProbe();
  }

  /** @return the current time as lock records use it: local, or the store's in server time */
  public Instant now() {
    return objects.clock.now();
  }

  /** @return the bucket of the lock objects */
  public String bucket() {
    return objects.bucket();
  }

  /** @return the key prefix of the lock objects */
  public String keyPrefix() {
    return objects.keys.prefix();
  }

  /**
   * @param name a lock name
   * @return the object key of the lock name
   */
  public String keyFor(String name) {
    return objects.keys.keyFor(name);
  }
}
