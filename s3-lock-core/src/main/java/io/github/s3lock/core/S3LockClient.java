package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Locks on S3 conditional writes: one object per lock name, whose JSON body says until when it is held. This is
 * the protocol that the ShedLock and Quartz adapters share; see {@code docs/protocol.md} for each operation's
 * requests and safety argument.
 *
 * <p>Safety rests on three things: every write is conditional ({@code If-None-Match: *} to create,
 * {@code If-Match: <etag>} to replace), so of two racing writers at most one succeeds; a holder's release and
 * extend are conditional on the ETag of its own write, so a holder whose lease was taken over can no longer
 * change the object; and an uncertain write is resolved by reading back the object and looking for the writer's
 * own nonce, never by assuming.
 *
 * <p>Cost: the client remembers the last version of each lock it saw (ETag and record), so the common cases take
 * one request: a new name (PUT), re-acquiring a name this client released (PUT), seeing that another node holds
 * it (conditional GET), release (PUT), extend (PUT).
 *
 * <p>Thread-safe. Starts no threads.
 */
public final class S3LockClient {

  private static final Logger log = LoggerFactory.getLogger(S3LockClient.class);

  /** Conditional writes per acquisition attempt before reporting "not acquired" under contention. */
  private static final int MAX_WRITES_PER_ATTEMPT = 3;

  /** Reads of an object whose body does not decode before it is reported as corrupt. */
  private static final int CORRUPT_READ_ATTEMPTS = 3;

  private final LockObjectStore store;
  private final KeyLayout keys;
  private final StoreClock clock;
  private final String lockedBy;
  private final boolean probeEnabled;
  private final LockListener listener;
  private volatile StoreDialect dialect;
  private volatile boolean ready;
  private final Object readyLock = new Object();

  /** The last version of each lock object this client saw. */
  private final KnownVersions seen = new KnownVersions(KnownVersions.DEFAULT_CAPACITY);

  /**
   * Owner nonces of this client's attempts that ended without a lease while one of their writes was still
   * uncertain (timed out, 5xx): such a write can land later, and then the lock is held by nobody who knows it.
   * Only we write records with these nonces, so a record carrying one is free for us to take over at once
   * instead of after its lockUntil. Bounded: a forgotten nonce costs one lease of waiting, not safety.
   */
  private final Set<String> orphaned = Collections.synchronizedSet(Collections.newSetFromMap(
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX_ORPHANED_NONCES;
        }
      }));

  private static final int MAX_ORPHANED_NONCES = 256;

  /** What one conditional write came to, once an uncertain answer was resolved by reading the object back. */
  private record Resolution(boolean ours, Version current, ConditionalWriteOutcome outcome) {}

  private S3LockClient(Builder b) {
    this.keys = new KeyLayout(b.keyPrefix);
    this.clock = new StoreClock(b.timeMode, b.clock, b.ticker);
    this.listener = IsolatedListener.of(b.listener);
    this.store = new LockObjectStore(b.s3, b.bucket, b.keyPrefix, b.expectedBucketOwner, clock, listener);
    this.lockedBy = b.lockedBy;
    this.probeEnabled = b.probe;
    this.dialect = b.dialect;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Takes the lock {@code name} until {@code lockUntil} (local time) if nobody holds it. Never blocks beyond
   * its S3 requests and never re-enters: a lock held by this client is reported as held.
   *
   * @return the lease, or empty when someone holds the lock (or won the race for it)
   * @throws S3LockException when S3 fails in a way that leaves the answer open (then the lock is not claimed)
   * @throws IllegalArgumentException for an empty name or one too long for an S3 key
   */
  public Optional<Lease> tryAcquire(String name, Instant lockUntil) {
    String key = keys.keyFor(name);
    Objects.requireNonNull(lockUntil, "lockUntil");
    long started = System.nanoTime();
    try {
      Optional<Lease> lease = acquire(name, key, lockUntil);
      listener.attempted(name, lease.isPresent() ? LockListener.AttemptOutcome.ACQUIRED
          : LockListener.AttemptOutcome.HELD, Duration.ofNanos(System.nanoTime() - started));
      return lease;
    } catch (S3LockException e) {
      listener.attempted(name, LockListener.AttemptOutcome.ERROR, Duration.ofNanos(System.nanoTime() - started));
      throw e;
    }
  }

  /**
   * The acquire state machine. Each round either asks S3 what is there (when the version we know was written by
   * someone else and may be stale), stops (someone holds it), or writes: create when there is no object, take
   * over (If-Match) when the one there has expired or is an orphan of ours. A write that does not say "applied"
   * is resolved by a read-back, and the version read decides the next round.
   */
  private Optional<Lease> acquire(String name, String key, Instant lockUntil) {
    ensureReady();
    Instant until = clock.toStore(lockUntil);
    String owner = UUID.randomUUID().toString();
    Version current = seen.get(key);
    boolean fresh = false;
    long lastToken = current == null ? 0 : current.record().token();
    ConditionalWriteOutcome lastOutcome = null;
    boolean uncertain = false;

    for (int writes = 0; writes < MAX_WRITES_PER_ATTEMPT; ) {
      if (current != null && !fresh && !current.ours()) {
        // Someone else wrote the version we know: it may have been released or taken since. Ask cheaply. A 403
        // may hide a deleted object (no s3:ListBucket): the create that follows tells.
        current = refresh(key, current);
        fresh = true;
        continue;
      }
      if (current != null) {
        lastToken = Math.max(lastToken, current.record().token());
        if (!takeable(current.record())) {
          seen.update(key, current);
          return Optional.empty();
        }
      }
      LockRecord mine = new LockRecord(name, until, clock.now(), lockedBy, owner, nextToken(lastToken),
          current == null ? 1 : current.record().revision() + 1);
      writes++;
      byte[] body = LockRecordCodec.encode(mine);
      Version base = current;
      Resolution resolved = acquiringWrite(key, mine, base == null, base == null ? () -> store.create(key, body)
          : () -> store.replace(key, dialect.ifMatch(base.etag()), body));
      if (resolved.ours()) {
        orphaned.remove(owner);
        return Optional.of(hold(key, resolved.current()));
      }
      lastOutcome = resolved.outcome();
      uncertain |= lastOutcome.result() == ConditionalWriteOutcome.Result.UNKNOWN;
      current = resolved.current();
      fresh = true;
    }
    if (uncertain) {
      orphaned.add(owner); // a write of this attempt may still land: take it over at the next attempt
    }
    boolean nobodyHoldsIt = current == null || takeable(current.record());
    if (nobodyHoldsIt && lastOutcome != null && lastOutcome.result() == ConditionalWriteOutcome.Result.UNKNOWN) {
      // Not a lost race: the store failed every write. "Held" would silently skip the task.
      throw new S3LockException(S3LockException.Kind.UNAVAILABLE, "Could not take lock '" + name + "' (s3://"
          + store.bucket() + "/" + key + "): nobody holds it, but the store failed " + MAX_WRITES_PER_ATTEMPT
          + " writes in a row and none was applied by the time we read the lock back ("
          + lastOutcome.cause().getMessage() + "). Should one be applied late, this client's next attempt takes"
          + " the lock over at once.", lastOutcome.cause());
    }
    // Lost every race of this attempt: someone else is taking it right now.
    return Optional.empty();
  }

  /**
   * Free for us to take: expired (by the earliest the store's clock can be, so that no holder still trusts it),
   * or written by one of our own attempts that ended without a lease (nobody works under it).
   */
  private boolean takeable(LockRecord record) {
    return expired(record) || orphaned.contains(record.owner());
  }

  /**
   * The fencing token of a new acquisition: above every token we know of this name, and at least the store time
   * in microseconds. The second term keeps tokens growing when the object was deleted (lifecycle rule, operator)
   * and re-created by a node that never saw it: it then starts above every token issued before the deletion,
   * provided it re-creates later than the deleted object's last acquisition by more than the clocks can differ.
   * Takeovers add 1, and S3 cannot apply a million writes to one key in a second, so the counter never runs
   * ahead of the clock.
   */
  private long nextToken(long lastToken) {
    Instant now = clock.now();
    long micros = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
    return Math.max(lastToken + 1, micros);
  }

  /**
   * Runs a write that would take the lock, and resolves it. If the thread is interrupted during it, the write
   * may have been applied, and then nobody would know that the lock is held until its lockUntil: a Quartz node
   * shutting down (Quartz interrupts its scheduler thread) stranded its cluster's TRIGGER_ACCESS for a whole
   * lease that way. So read back with the interrupt put aside, free the lock if our write is there, and then
   * report the interrupt: at most 1 GET and 1 PUT more, and only on interrupt.
   */
  private Resolution acquiringWrite(String key, LockRecord mine, boolean create,
      Supplier<ConditionalWriteOutcome> write) {
    try {
      return writeAndResolve(key, mine, create, write);
    } catch (S3LockException e) {
      if (e.kind() != S3LockException.Kind.INTERRUPTED) {
        throw e;
      }
      Thread.interrupted();
      String applied = "it was not applied";
      try {
        Version current = fetch(key, null, false);
        if (current != null && mine.owner().equals(current.record().owner())) {
          LockRecord released = current.record().rewrittenUntil(clock.now());
          ConditionalWriteOutcome undo = store.replace(key, dialect.ifMatch(current.etag()),
              LockRecordCodec.encode(released));
          seen.update(key, undo.isWritten() ? new Version(released, undo.etag(), true) : null);
          applied = undo.isWritten() ? "it had been applied and was released again"
              : "it had been applied and could not be released (" + undo.result() + "); the lock frees itself at "
                  + current.record().lockUntil();
          if (!undo.isWritten()) {
            orphaned.add(mine.owner());
          }
        } else {
          seen.update(key, current);
          orphaned.add(mine.owner()); // not there yet, but it may still land
        }
      } catch (S3LockException cleanup) {
        orphaned.add(mine.owner());
        applied = "it may have been applied; if so, the lock frees itself at " + mine.lockUntil()
            + " or at this client's next attempt";
        e.addSuppressed(cleanup);
      } finally {
        Thread.currentThread().interrupt();
      }
      throw new S3LockException(S3LockException.Kind.INTERRUPTED, "Interrupted while taking lock '" + mine.name()
          + "' (s3://" + store.bucket() + "/" + key + "): " + applied, e);
    }
  }

  /**
   * The one step every write of a held or wanted lock goes through: send it; when the answer does not say
   * "applied", read the object back and look for {@code owner}. A record that carries our nonce is our own
   * write, whatever else differs: only we write with it (an operator's release writes a nonce of its own). That
   * covers an SDK retry that got 412 for our own applied write, and an earlier write that landed late. Whole
   * records must not be compared: a late write differs from the one just sent (lockedAt, token, lockUntil).
   */
  private Resolution writeAndResolve(String key, LockRecord mine, boolean create,
      Supplier<ConditionalWriteOutcome> write) {
    ConditionalWriteOutcome outcome = write.get();
    if (outcome.isWritten()) {
      return new Resolution(true, new Version(mine, outcome.etag(), true), outcome);
    }
    // Without s3:ListBucket, S3 answers a GET of a missing key with 403. After a failed If-Match (404 on AWS,
    // 412 on radosgw) the object may well be gone: read the 403 as "missing", and the create that follows tells
    // (a 412 to If-None-Match proves the object exists, and then a 403 is a real one).
    Version current = readBack(key, outcome, !create);
    if (current != null && mine.owner().equals(current.record().owner())) {
      return new Resolution(true, current.asOurs(), outcome);
    }
    return new Resolution(false, current, outcome);
  }

  /**
   * Releases the lease: rewrites its record with {@code lockUntil = max(now, lockUntil)}, conditional on the
   * lease's ETag. The object is kept, so the fencing token stays monotonic and a store that ignores conditional
   * DELETE cannot let a late holder delete someone else's lock.
   *
   * @param lockUntil when the lock becomes free (e.g. ShedLock's {@code lockAtLeastUntil}), local time
   * @return true if released; false if the lease had been lost (logged as a warning naming the new holder)
   * @throws S3LockException of kind UNAVAILABLE when the store kept failing: the lease is then still held
   */
  public boolean release(Lease lease, Instant lockUntil) {
    // An executor's shutdownNow() during a deploy interrupts the task's thread just before ShedLock unlocks, and
    // the SDK aborts any request of an interrupted thread: the lock would stay held for lockAtMostFor. So the
    // interrupt is put aside for the release (and for one that arrives during it) and handed back afterwards.
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          Instant now = clock.now();
          Instant until = clock.toStore(lockUntil);
          boolean released = rewrite(lease, until.isAfter(now) ? until : now, "release").isPresent();
          if (released) {
            listener.released(lease.name(), Duration.between(lease.record().lockedAt(), now));
          }
          return released;
        } catch (S3LockException e) {
          if (e.kind() != S3LockException.Kind.INTERRUPTED || attempt == MAX_WRITES_PER_ATTEMPT) {
            throw e;
          }
          interrupted |= Thread.interrupted();
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Moves the lease's {@code lockUntil} to {@code newLockUntil} (local time), if the lease is still held.
   *
   * @return the new lease (the given one is spent), or empty when the lease has expired or was lost
   * @throws S3LockException of kind UNAVAILABLE when the store kept failing: the given lease is then still valid
   */
  public Optional<Lease> extend(Lease lease, Instant newLockUntil) {
    if (!clock.latestNow().isBefore(lease.lockUntil())) {
      return Optional.empty();
    }
    return rewrite(lease, clock.toStore(newLockUntil), "extend");
  }

  /** The current record of a lock, read from S3 (one GET), or empty if the object does not exist. */
  public Optional<LockRecord> read(String name) {
    String key = keys.keyFor(name);
    return Optional.ofNullable(fetch(key, null, false)).map(Version::record);
  }

  /** Like {@link #read}, with the object's last-modified time: for operators asking when a lock last changed. */
  public Optional<LockObject> readObject(String name) {
    String key = keys.keyFor(name);
    return Optional.ofNullable(fetch(key, null, false)).map(v -> new LockObject(v.record(), v.lastModified()));
  }

  /**
   * Every lock under the key prefix with its current record and last-modified time, for operators (one LIST
   * request per 1,000 keys and one GET per lock). Needs {@code s3:ListBucket}, which taking locks does not.
   *
   * @throws S3LockException of kind CORRUPT_RECORD naming the key of an object that is not a lock record
   */
  public List<LockObject> list() {
    List<LockObject> locks = new ArrayList<>();
    String reserved = keys.reservedKey("");
    for (String key : store.listKeys(keys.prefix())) {
      if (key.startsWith(reserved) || key.substring(keys.prefix().length()).contains("/")) {
        continue; // s3-lock's own objects, or another prefix nested under ours
      }
      // Not remembered: an operator's listing must not fill a scheduler's cache.
      Version current = fetch(key, null, false);
      if (current != null) {
        locks.add(new LockObject(current.record(), current.lastModified()));
      }
    }
    return locks;
  }

  /** What {@link #releaseAsOperator} did, and the record it found. */
  public record OperatorRelease(Result result, LockRecord found) {
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
   * Frees a lock on behalf of an operator: reads it, then rewrites it with {@code lockUntil = now}, conditional
   * on the ETag just read, so a lock taken in between is never clobbered. The holder's next release or extend
   * fails (its ETag is gone) and is logged as a lost lease. Without {@code evenIfHeld}, refuses a lock whose
   * {@code lockUntil} has not passed.
   */
  public OperatorRelease releaseAsOperator(String name, boolean evenIfHeld) {
    String key = keys.keyFor(name);
    ensureReady();
    Version current = fetch(key, null, false);
    if (current == null) {
      return new OperatorRelease(OperatorRelease.Result.MISSING, null);
    }
    if (expired(current.record())) {
      return new OperatorRelease(OperatorRelease.Result.ALREADY_FREE, current.record());
    }
    if (!evenIfHeld) {
      return new OperatorRelease(OperatorRelease.Result.HELD, current.record());
    }
    // A nonce of our own: were the holder's nonce kept, the holder would take our write for its own.
    LockRecord held = current.record();
    LockRecord freed = new LockRecord(held.name(), clock.now(), held.lockedAt(), lockedBy + " (operator release)",
        UUID.randomUUID().toString(), held.token(), held.revision() + 1);
    Resolution resolved = writeAndResolve(key, freed, false, () -> store.replace(key, dialect.ifMatch(current.etag()),
        LockRecordCodec.encode(freed)));
    if (resolved.ours()) {
      seen.update(key, new Version(resolved.current().record(), resolved.current().etag(), false));
    }
    return new OperatorRelease(resolved.ours() ? OperatorRelease.Result.RELEASED : OperatorRelease.Result.CHANGED,
        current.record());
  }

  /**
   * Runs the conformance probe now (it otherwise runs once, before the first lock) and, when the store is safe,
   * adopts the dialect it finds; the first lock then sends no probe of its own.
   */
  public ConformanceReport probe() {
    ConformanceReport report = new ConformanceProbe(store, keys, clock).run();
    report.dialect().ifPresent(d -> {
      dialect = d;
      ready = true;
    });
    return report;
  }

  /** The current time as lock records use it: local time, or the store's in {@link TimeMode#SERVER} mode. */
  public Instant now() {
    return clock.now();
  }

  public String bucket() {
    return store.bucket();
  }

  public String keyPrefix() {
    return keys.prefix();
  }

  /** The object key of a lock name. */
  public String keyFor(String name) {
    return keys.keyFor(name);
  }

  /** The dialect in use (the probe's finding once it ran). */
  public StoreDialect dialect() {
    return dialect;
  }

  private Optional<Lease> rewrite(Lease lease, Instant lockUntil, String operation) {
    LockRecord base = lease.record();
    String etag = lease.etag();
    for (int attempt = 0; attempt < MAX_WRITES_PER_ATTEMPT; attempt++) {
      LockRecord mine = base.rewrittenUntil(lockUntil);
      String ifMatch = dialect.ifMatch(etag);
      Resolution resolved = writeAndResolve(lease.key(), mine, false, () -> store.replace(lease.key(), ifMatch,
          LockRecordCodec.encode(mine)));
      Version current = resolved.current();
      if (resolved.ours() && current.record().equals(mine)) {
        return Optional.of(hold(lease.key(), current));
      }
      if (resolved.ours()) {
        // An earlier write of ours is there: an extend whose answer (and read-back) failed, applied after all.
        // The lease is still ours; continue from that version.
        base = current.record();
        etag = current.etag();
        continue;
      }
      if (current != null && sameEtag(current.etag(), etag)) {
        // 409 or 5xx and nothing changed: still ours, try again.
        continue;
      }
      warnLost(lease, operation, current);
      return Optional.empty();
    }
    // Still ours: not "lost" (which would make the caller stop renewing and report a lost lease).
    throw new S3LockException(S3LockException.Kind.UNAVAILABLE, "Could not " + operation + " lock '" + lease.name()
        + "' (s3://" + store.bucket() + "/" + lease.key() + "): the store failed " + MAX_WRITES_PER_ATTEMPT
        + " writes in a row without applying them; the lock stays held by us until " + lease.lockUntil());
  }

  private void warnLost(Lease lease, String operation, Version current) {
    listener.leaseLost(lease.name());
    if (current == null) {
      log.warn("Could not {} lock '{}': its object s3://{}/{} was deleted while we held it (token {})",
          operation, lease.name(), store.bucket(), lease.key(), lease.token());
    } else {
      LockRecord holder = current.record();
      log.warn("Could not {} lock '{}' (s3://{}/{}): our lease (token {}) was lost; it is now held by '{}' until {}"
          + " (token {})", operation, lease.name(), store.bucket(), lease.key(), lease.token(), holder.lockedBy(),
          holder.lockUntil(), holder.token());
    }
  }

  private boolean expired(LockRecord record) {
    return !clock.earliestNow().isBefore(record.lockUntil());
  }

  private Lease hold(String key, Version version) {
    seen.update(key, version);
    return new Lease(key, version.record(), version.etag());
  }

  /** Conditional GET against the version we know: 304 keeps it, 200 replaces it, 404 (or 403) forgets it. */
  private Version refresh(String key, Version known) {
    Version current = fetch(key, known, true);
    seen.update(key, current);
    return current;
  }

  /**
   * Unconditional GET, after a write whose outcome (or whose competitor) we need to see.
   *
   * @param deniedMeansMissing whether a 403 is to be read as "missing" (the write just answered 404, and without
   *     s3:ListBucket S3 answers a GET of a missing key with 403); otherwise a 403 throws ACCESS_DENIED
   */
  private Version readBack(String key, ConditionalWriteOutcome after, boolean deniedMeansMissing) {
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
   * Reads the current version, conditionally on {@code known} when given. A body that does not decode is read
   * again before it is called corrupt: a GET that overlaps a PUT can return a torn body on some stores (seen
   * with S3Mock: a 200-byte prefix of a 250-byte record, no I/O error), and a GET is safe to repeat.
   */
  private Version fetch(String key, Version known, boolean deniedMeansMissing) {
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

  private static boolean sameEtag(String a, String b) {
    return StoreDialect.unquoted(a).equals(StoreDialect.unquoted(b));
  }

  private void ensureReady() {
    if (ready) {
      return;
    }
    synchronized (readyLock) {
      if (ready) {
        return;
      }
      if (probeEnabled) {
        ConformanceReport report = probe();
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
        throw new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "s3://" + store.bucket() + " sent no"
            + " usable Date header, which server time mode needs: the store's clock decides expiry. Use"
            + " TimeMode.CLIENT (keep the nodes' clocks in sync) or a store that sends Date (RFC 9110).");
      }
      ready = true;
    }
  }

  /** Configuration of an {@link S3LockClient}. Required: {@link #s3Client} and {@link #bucket}. */
  public static final class Builder {
    private S3Client s3;
    private String bucket;
    private String keyPrefix = "locks/";
    private String lockedBy = defaultLockedBy();
    private TimeMode timeMode = TimeMode.CLIENT;
    private InstantSource clock = InstantSource.system();
    private LongSupplier ticker = System::nanoTime;
    private boolean probe = true;
    private StoreDialect dialect = StoreDialect.AWS;
    private String expectedBucketOwner;
    private LockListener listener = LockListener.NONE;

    private Builder() {}

    /** Told about every attempt, request, release and lost lease, e.g. for metrics; default none. */
    public Builder listener(LockListener listener) {
      this.listener = listener;
      return this;
    }

    /** The client to use; configure its region, credentials and retries as for any S3 access. */
    public Builder s3Client(S3Client s3) {
      this.s3 = s3;
      return this;
    }

    public Builder bucket(String bucket) {
      this.bucket = bucket;
      return this;
    }

    /** Prefix of every lock object key; default {@code locks/}. Give s3-lock a prefix of its own. */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** Who holds a lock, as written into the record for people to read; default: this host's name. */
    public Builder lockedBy(String lockedBy) {
      this.lockedBy = lockedBy;
      return this;
    }

    /** Whose clock decides expiry; default {@link TimeMode#CLIENT}. */
    public Builder timeMode(TimeMode timeMode) {
      this.timeMode = timeMode;
      return this;
    }

    /** The local clock; default the system clock. Adapters pass their framework's clock. */
    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The monotonic clock, in nanoseconds, that measures elapsed time (server-time bounds); default
     * {@code System::nanoTime}. For tests and simulations that run in virtual time; applications leave it.
     */
    public Builder ticker(LongSupplier ticker) {
      this.ticker = ticker;
      return this;
    }

    /**
     * Whether to run the conformance probe before the first lock (default true). Turn it off only for a store
     * known to be conformant, and then set {@link #dialect}.
     */
    public Builder probe(boolean probe) {
      this.probe = probe;
      return this;
    }

    /** The store's dialect when the probe is off; default {@link StoreDialect#AWS}. The probe overrides it. */
    public Builder dialect(StoreDialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * The AWS account id that must own the bucket (sent as {@code x-amz-expected-bucket-owner}): S3 refuses
     * requests to a bucket of the same name in another account. Default: not checked.
     */
    public Builder expectedBucketOwner(String accountId) {
      this.expectedBucketOwner = accountId;
      return this;
    }

    public S3LockClient build() {
      if (s3 == null) {
        throw new IllegalStateException("s3Client is required");
      }
      if (bucket == null || bucket.isBlank()) {
        throw new IllegalStateException("bucket is required");
      }
      Objects.requireNonNull(keyPrefix, "keyPrefix must not be null (use \"\" for none)");
      if (lockedBy == null || lockedBy.isBlank()) {
        throw new IllegalStateException("lockedBy must not be blank");
      }
      Objects.requireNonNull(timeMode, "timeMode");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(ticker, "ticker");
      Objects.requireNonNull(dialect, "dialect");
      Objects.requireNonNull(listener, "listener (use LockListener.NONE for none)");
      return new S3LockClient(this);
    }

    private static String defaultLockedBy() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (Exception e) {
        return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
      }
    }
  }
}
