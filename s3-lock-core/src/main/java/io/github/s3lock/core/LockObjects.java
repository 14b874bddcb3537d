package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lock objects under one bucket and key prefix, as the protocol sees them: the versions this client knows,
 * reads that decode them, and the one step every write goes through ({@link #writeAndResolve}). Shared by
 * {@link S3LockClient} (acquire, release, extend, the interrupt undo) and {@link S3LockAdmin} (operator release).
 */
final class LockObjects {

  private static final Logger log = LoggerFactory.getLogger(LockObjects.class);

  /** Reads of an object whose body does not decode before it is reported as corrupt. */
  private static final int CORRUPT_READ_ATTEMPTS = 3;

  final LockObjectStore store;
  final KeyLayout keys;
  final StoreClock clock;
  final KnownVersions seen = new KnownVersions(KnownVersions.DEFAULT_CAPACITY);
  private volatile StoreDialect dialect;
  private volatile boolean ready;

  /** What one conditional write came to, once an uncertain answer was resolved by reading the object back. */
  record Resolution(boolean ours, Version current, ConditionalWriteOutcome outcome) {}

  LockObjects(LockObjectStore store, KeyLayout keys, StoreClock clock, StoreDialect dialect) {
    this.store = store;
    this.keys = keys;
    this.clock = clock;
    this.dialect = dialect;
  }

  void dialect(StoreDialect found) {
    this.dialect = found;
  }

  /**
   * Before the first write: runs the conformance probe once (and adopts the dialect it finds), or, with the probe
   * off in server time, reads once for the store's {@code Date}. A store that ignores conditional writes, or that
   * sends no {@code Date} in server time, fails here and says so.
   */
  void ensureReady(boolean probe) {
    if (ready) {
      return;
    }
    synchronized (this) {
      if (ready) {
        return;
      }
      if (probe) {
        ConformanceReport report = runProbe();
        if (!report.safeForLocking()) {
          throw new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "s3://" + store.bucket() + "/"
              + keys.prefix() + " is not safe for locking: " + String.join("; ", report.problems())
              + ". Use a store that honours conditional writes (AWS S3, Ceph radosgw 16+).");
        }
      } else if (!clock.calibrated()) {
        // Server time mode without the probe: any response carries Date; a missing reserved key is cheapest.
        store.read(keys.reservedKey("clock"), null);
      }
      if (!clock.calibrated()) {
        throw new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "s3://" + store.bucket() + " sent"
            + " no usable Date header, which server time mode needs: the store's clock decides expiry. Use"
            + " TimeMode.CLIENT (keep the nodes' clocks in sync) or a store that sends Date (RFC 9110).");
      }
      ready = true;
    }
  }

  /** Runs the conformance probe and adopts the dialect it finds, when the store is safe. */
  ConformanceReport runProbe() {
    ConformanceReport report = new ConformanceProbe(store, keys, clock).run();
    report.dialect().ifPresent(this::dialect);
    return report;
  }

  String ifMatch(String etag) {
    return dialect.ifMatch(etag);
  }

  String bucket() {
    return store.bucket();
  }

  /**
   * Sends a write and resolves it: when the answer does not say "applied", reads the object back and looks for
   * {@code mine}'s owner nonce. A record that carries it is our own write, whatever else differs: only the writer
   * of {@code mine} writes with that nonce (an operator's release writes a nonce of its own). That covers an SDK
   * retry that got 412 for our own applied write, and an earlier write that landed late (after its timeout and
   * its read-back). Whole records must not be compared: a late write differs from the one just sent (lockedAt,
   * token, lockUntil), and comparing them stranded the lock until its lockUntil.
   *
   * @param create whether the write is {@code If-None-Match: *}. Without s3:ListBucket, S3 answers a GET of a
   *     missing key with 403; after a refused If-Match (404 on AWS, 412 on radosgw) the object may well be gone,
   *     so a 403 is read as "missing" and the create that follows tells. After a refused create the object exists
   *     (412 proves it), and a 403 is a real one.
   */
  Resolution writeAndResolve(String key, LockRecord mine, boolean create, Supplier<ConditionalWriteOutcome> write) {
    ConditionalWriteOutcome outcome = write.get();
    if (outcome.isWritten()) {
      return new Resolution(true, new Version(mine, outcome.etag(), true), outcome);
    }
    Version current = readBack(key, outcome, !create);
    if (current != null && mine.owner().equals(current.record().owner())) {
      return new Resolution(true, current.asOurs(), outcome);
    }
    return new Resolution(false, current, outcome);
  }

  /** Conditional GET against the version we know: 304 keeps it, 200 replaces it, 404 (or 403) forgets it. */
  Version refresh(String key, Version known) {
    Version current = fetch(key, known, true);
    seen.update(key, current);
    return current;
  }

  /**
   * Unconditional GET, after a write whose outcome (or whose competitor) we need to see; remembered.
   *
   * @param deniedMeansMissing whether a 403 is to be read as "missing" (see {@link #writeAndResolve})
   */
  Version readBack(String key, ConditionalWriteOutcome after, boolean deniedMeansMissing) {
    Version current;
    try {
      current = fetch(key, null, deniedMeansMissing);
    } catch (S3LockException e) {
      if (after != null && after.result() == ConditionalWriteOutcome.Result.UNKNOWN) {
        e.addSuppressed(after.cause());
      }
      throw e;
    }
    seen.update(key, current);
    return current;
  }

  /**
   * Reads the current version, conditionally on {@code known} when given; not remembered. A body that does not
   * decode is read again before it is called corrupt: a GET that overlaps a PUT can return a torn body on some
   * stores (seen with S3Mock: a 200-byte prefix of a 250-byte record, no I/O error), and a GET is safe to repeat.
   */
  Version fetch(String key, Version known, boolean deniedMeansMissing) {
    for (int attempt = 1; ; attempt++) {
      ReadOutcome read = store.read(key, attempt == 1 && known != null ? known.etag() : null);
      switch (read.result()) {
        case NOT_MODIFIED:
          return known;
        case MISSING:
          return null;
        case DENIED:
          if (deniedMeansMissing) {
            return null;
          }
          throw read.denial();
        case FOUND:
        default:
          try {
            return new Version(LockRecordCodec.decode(read.body()), read.etag(), false, read.lastModified());
          } catch (IllegalArgumentException e) {
            if (attempt == CORRUPT_READ_ATTEMPTS) {
              throw new S3LockException(S3LockException.Kind.CORRUPT_RECORD, "s3://" + store.bucket() + "/" + key
                  + " is not a lock record this version can read (" + e.getMessage() + "). If nothing else should"
                  + " write there, delete the object; otherwise give s3-lock a key prefix of its own.", e);
            }
            log.debug("s3://{}/{} did not decode ({}); reading it again", store.bucket(), key, e.getMessage());
          }
      }
    }
  }

  /** Someone else's lock has expired when even the earliest the store's clock can be is past its lockUntil. */
  boolean expired(LockRecord record) {
    return !clock.earliestNow().isBefore(record.lockUntil());
  }

  static boolean sameEtag(String a, String b) {
    return StoreDialect.unquoted(a).equals(StoreDialect.unquoted(b));
  }
}
