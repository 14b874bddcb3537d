package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import io.github.s3lock.core.LockObjects.Resolution;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Taking a lock: a small state machine over the version of the lock object we know. Each round either asks S3
 * what is there (when the version we know was written by someone else and may be stale), stops (someone holds
 * it), or writes: create when there is no object, take over ({@code If-Match}) when the one there has expired or
 * is an orphan of ours. A write whose answer does not say "applied" is resolved by a read-back
 * ({@link LockObjects#writeAndResolve}), and the version read decides the next round.
 */
final class Acquisition {

  /** Conditional writes per attempt before reporting "not acquired" under contention. */
  static final int MAX_WRITES_PER_ATTEMPT = 3;

  private final LockObjects objects;
  private final String lockedBy;

  /**
   * Owner nonces of this client's attempts that ended without a lease while one of their writes was still
   * uncertain (timed out, 5xx): such a write can land later, and then the lock is held by nobody who knows it.
   * Only we write records with these nonces, so a record carrying one is free for us to take over at once
   * instead of after its lockUntil. Bounded: a forgotten nonce costs one lease of waiting, not safety.
   */
  private final OwnerNonces orphaned = new OwnerNonces();

  Acquisition(LockObjects objects, String lockedBy) {
    this.objects = objects;
    this.lockedBy = lockedBy;
  }

  Optional<Lease> acquire(String name, String key, Instant lockUntil) {
    Instant until = objects.clock.toStore(lockUntil);
    String owner = UUID.randomUUID().toString();
    Version current = objects.seen.get(key);
    boolean fresh = false;
    long lastToken = current == null ? 0 : current.record().token();
    ConditionalWriteOutcome lastOutcome = null;
    boolean uncertain = false;

    for (int writes = 0; writes < MAX_WRITES_PER_ATTEMPT; ) {
      if (current != null && !fresh && !current.ours()) {
        // Someone else wrote the version we know: it may have been released or taken since. Ask cheaply. A 403
        // may hide a deleted object (no s3:ListBucket): the create that follows tells.
        current = objects.refresh(key, current);
        fresh = true;
        continue;
      }
      if (current != null) {
        lastToken = Math.max(lastToken, current.record().token());
        if (!takeable(current.record())) {
          objects.seen.update(key, current);
          return Optional.empty();
        }
      }
      LockRecord mine = new LockRecord(name, until, objects.clock.now(), lockedBy, owner, nextToken(lastToken),
          current == null ? 1 : current.record().revision() + 1);
      writes++;
      byte[] body = LockRecordCodec.encode(mine);
      Version base = current;
      Resolution resolved = undoneIfInterrupted(key, mine, () -> objects.writeAndResolve(key, mine, base == null,
          base == null ? () -> objects.store.create(key, body)
              : () -> objects.store.replace(key, objects.ifMatch(base.etag()), body)));
      if (resolved.ours()) {
        orphaned.remove(owner);
        objects.seen.update(key, resolved.current());
        return Optional.of(new Lease(key, resolved.current().record(), resolved.current().etag()));
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
          + objects.bucket() + "/" + key + "): nobody holds it, but the store failed " + MAX_WRITES_PER_ATTEMPT
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
    return objects.expired(record) || orphaned.contains(record.owner());
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
    Instant now = objects.clock.now();
    long micros = Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
    return Math.max(lastToken + 1, micros);
  }

  /**
   * Runs a write that would take the lock. If the thread is interrupted during it, the write may have been
   * applied, and then nobody would know that the lock is held until its lockUntil: a Quartz node shutting down
   * (Quartz interrupts its scheduler thread) stranded its cluster's TRIGGER_ACCESS for a whole lease that way.
   * So read back with the interrupt put aside, free the lock if our write is there, and then report the
   * interrupt: at most 1 GET and 1 PUT more, and only on interrupt.
   */
  private Resolution undoneIfInterrupted(String key, LockRecord mine, Supplier<Resolution> write) {
    try {
      return write.get();
    } catch (S3LockException e) {
      if (e.kind() != S3LockException.Kind.INTERRUPTED) {
        throw e;
      }
      Thread.interrupted();
      String applied = "it may have been applied; if so, the lock frees itself at " + mine.lockUntil()
          + " or at this client's next attempt";
      try {
        // A second interrupt can hit the undo itself (a scheduler interrupting every thread it has): set it
        // aside as well and try again, as release does.
        for (int attempt = 1; ; attempt++) {
          try {
            applied = undo(key, mine);
            break;
          } catch (S3LockException cleanup) {
            Thread.interrupted();
            if (cleanup.kind() != S3LockException.Kind.INTERRUPTED || attempt == MAX_WRITES_PER_ATTEMPT) {
              orphaned.add(mine.owner());
              e.addSuppressed(cleanup);
              break;
            }
          }
        }
      } finally {
        Thread.currentThread().interrupt();
      }
      throw new S3LockException(S3LockException.Kind.INTERRUPTED, "Interrupted while taking lock '" + mine.name()
          + "' (s3://" + objects.bucket() + "/" + key + "): " + applied, e);
    }
  }
  /** Frees our acquiring write if it was applied; says what it found. */
  private String undo(String key, LockRecord mine) {
    Version current = objects.fetch(key, null, false);
    if (current == null || !mine.owner().equals(current.record().owner())) {
      objects.seen.update(key, current);
      orphaned.add(mine.owner()); // not there yet, but it may still land
      return "it was not applied";
    }
    LockRecord released = current.record().rewrittenUntil(objects.clock.now());
    Resolution undone = objects.writeAndResolve(key, released, false,
        () -> objects.store.replace(key, objects.ifMatch(current.etag()), LockRecordCodec.encode(released)));
    if (undone.ours() && undone.current().record().equals(released)) {
      objects.seen.update(key, undone.current());
      return "it had been applied and was released again";
    }
    orphaned.add(mine.owner());
    return "it had been applied and could not be released (" + undone.outcome().result() + "); the lock frees"
        + " itself at " + current.record().lockUntil() + " or at this client's next attempt";
  }
}
