package io.github.s3lock.core;

import io.github.s3lock.core.KnownVersions.Version;
import io.github.s3lock.core.LockObjects.Resolution;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Release and extend: rewriting a held lease's record, conditional on its ETag, or on the ETag of a later write of
 * the same acquisition, recognised by its owner nonce.
 */
final class LeaseRewrites {

  // The public class's logger: users configure that name, and the lost-lease warning is meant for them.
  private static final Logger log = LoggerFactory.getLogger(S3LockClient.class);

  private final LockObjects objects;
  private final LockListener listener;

  /**
   * Owner nonces of acquisitions whose last release or extend failed without an answer: one of its writes may
   * have been applied (a later lockUntil under an ETag we never saw). Bounded; a forgotten nonce only means that
   * extend trusts the lease's own lockUntil again.
   */
  private final OwnerNonces uncertain = new OwnerNonces();

  LeaseRewrites(LockObjects objects, LockListener listener) {
    this.objects = objects;
    this.listener = listener;
  }

  /** Whether the last release or extend of this lease's acquisition failed without an answer. */
  boolean uncertain(Lease lease) {
    return uncertain.contains(lease.record().owner());
  }

  /** See {@link S3LockClient#release}: {@code lockUntil} in local time. */
  boolean release(Lease lease, Instant lockUntil) {
    // An executor's shutdownNow() during a deploy interrupts the task's thread just before ShedLock unlocks, and
    // the SDK aborts any request of an interrupted thread: the lock would stay held for lockAtMostFor. So the
    // interrupt is put aside for the release (and for one that arrives during it) and handed back afterwards.
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          Instant now = objects.clock.now();
          Instant until = objects.clock.toStore(lockUntil);
          boolean released = rewrite(lease, until.isAfter(now) ? until : now, "release").isPresent();
          if (released) {
            listener.released(lease.name(), Duration.between(lease.record().lockedAt(), now));
          }
          return released;
        } catch (S3LockException e) {
          if (e.kind() != S3LockException.Kind.INTERRUPTED || attempt == Acquisition.MAX_WRITES_PER_ATTEMPT) {
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

  Optional<Lease> rewrite(Lease lease, Instant lockUntil, String operation) {
    String owner = lease.record().owner();
    try {
      Optional<Lease> result = rewriteOnce(lease, lockUntil, operation);
      uncertain.remove(owner);
      return result;
    } catch (S3LockException e) {
      if (e.kind() == S3LockException.Kind.UNAVAILABLE) {
        uncertain.add(owner);
      }
      throw e;
    }
  }

  private Optional<Lease> rewriteOnce(Lease lease, Instant lockUntil, String operation) {
    LockRecord base = lease.record();
    String etag = lease.etag();
    for (int attempt = 0; attempt < Acquisition.MAX_WRITES_PER_ATTEMPT; attempt++) {
      LockRecord mine = base.rewrittenUntil(lockUntil);
      String ifMatch = objects.ifMatch(etag);
      Resolution resolved = objects.writeAndResolve(lease.key(), mine, false,
          () -> objects.store.replace(lease.key(), ifMatch, LockRecordCodec.encode(mine)));
      Version current = resolved.current();
      if (resolved.ours() && current.record().equals(mine)) {
        objects.seen.update(lease.key(), current);
        return Optional.of(new Lease(lease.key(), mine, current.etag()));
      }
      if (resolved.ours()) {
        // An earlier write of ours is there: an extend whose answer (and read-back) failed, applied after all.
        // The lease is still ours; continue from that version.
        base = current.record();
        etag = current.etag();
        continue;
      }
      if (current != null && LockObjects.sameEtag(current.etag(), etag)) {
        // 409 or 5xx and nothing changed: still ours, try again.
        continue;
      }
      warnLost(lease, operation, current);
      return Optional.empty();
    }
    // Still ours: not "lost" (which would make the caller stop renewing and report a lost lease).
    throw new S3LockException(S3LockException.Kind.UNAVAILABLE, "Could not " + operation + " lock '" + lease.name()
        + "' (s3://" + objects.bucket() + "/" + lease.key() + "): the store failed "
        + Acquisition.MAX_WRITES_PER_ATTEMPT + " writes in a row without applying them; the lock stays held by us until "
        + lease.lockUntil());
  }

  private void warnLost(Lease lease, String operation, Version current) {
    listener.leaseLost(lease.name());
    if (current == null) {
      log.warn("Could not {} lock '{}': its object s3://{}/{} was deleted while we held it (token {})",
          operation, lease.name(), objects.bucket(), lease.key(), lease.token());
    } else {
      LockRecord holder = current.record();
      log.warn("Could not {} lock '{}' (s3://{}/{}): our lease (token {}) was lost; it is now held by '{}' until {}"
          + " (token {})", operation, lease.name(), objects.bucket(), lease.key(), lease.token(), holder.lockedBy(),
          holder.lockUntil(), holder.token());
    }
  }
}
