package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Lease affinity's idle timer: a lease kept between sections goes back to S3 once no section has asked for it for
 * {@code affinityIdleMillis}. The checks run on the slot's renewal thread; {@code lastUseNanos} and the pending
 * {@code idleCheck} are the slot's {@link Slot.Turn}, guarded by it.
 */
final class IdleHandBack {

  private final LockHandlerSettings settings;
  /** {@link HeldLeases}'s hand-back without a yield; called only by a thread that holds the slot's local lock. */
  private final Consumer<Slot> handBack;

  IdleHandBack(LockHandlerSettings settings, Consumer<Slot> handBack) {
    this.settings = settings;
    this.handBack = handBack;
  }

  /** Keeps the lease after a section, and has the renewal thread hand it back once no section asks for a while. */
  void keep(Slot slot, long now) {
    synchronized (slot.turn) {
      slot.turn.lastUseNanos = now;
      if (slot.turn.idleCheck != null) {
        return; // It will see lastUseNanos and wait on.
      }
      try {
        slot.turn.idleCheck = slot.renewer.schedule(() -> idleCheck(slot), settings.affinityIdleMillis,
            MILLISECONDS);
        return;
      } catch (RejectedExecutionException e) {
        // Shut down meanwhile: hand it back below.
      }
    }
    handBack.accept(slot);
  }

  /** On the renewal thread: hands the kept lease back once no section has asked for affinityIdleMillis. */
  private void idleCheck(Slot slot) {
    if (!idleFor(slot)) {
      return;
    }
    LocalLock.Hold hold;
    try {
      // Fair: fails while a section runs or waits for the lock, and that section uses the lease.
      hold = slot.local.tryLock(0);
    } catch (InterruptedException e) {
      return; // The renewer is being shut down (stopRenewing: a crash); the lease runs out by itself.
    }
    if (hold == null) {
      // Look again later rather than rely on that section's end: a waiter that gives up (its acquireTimeoutMillis)
      // has no end, and the lease would stay kept, renewed, and of no use to anyone.
      scheduleIdleCheck(slot, MILLISECONDS.toNanos(settings.affinityIdleMillis));
      return;
    }
    try {
      if (idleFor(slot)) { // No section ran between the first look and taking the local lock.
        handBack.accept(slot);
      }
    } finally {
      slot.local.unlock(hold);
    }
  }

  /** True when the lease is kept and idle past its window; otherwise schedules the next look if one is needed. */
  private boolean idleFor(Slot slot) {
    synchronized (slot.turn) {
      slot.turn.idleCheck = null;
      if (slot.lease == null) {
        return false;
      }
      long wait = slot.turn.lastUseNanos + MILLISECONDS.toNanos(settings.affinityIdleMillis) - System.nanoTime();
      if (wait <= 0) {
        return true;
      }
      scheduleIdleCheck(slot, wait);
      return false;
    }
  }

  /** Schedules the next idle check unless one is pending; shutting down, close() hands the lease back instead. */
  private void scheduleIdleCheck(Slot slot, long delayNanos) {
    synchronized (slot.turn) {
      if (slot.turn.idleCheck != null) {
        return;
      }
      try {
        slot.turn.idleCheck = slot.renewer.schedule(() -> idleCheck(slot), delayNanos, NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // Shut down: close() hands it back.
      }
    }
  }
}
