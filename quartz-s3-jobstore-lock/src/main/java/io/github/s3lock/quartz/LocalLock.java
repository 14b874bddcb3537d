package io.github.s3lock.quartz;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;

import java.util.concurrent.Semaphore;

/**
 * The in-JVM exclusion of one lock name: one thread at a time holds it, re-entrantly (Quartz nests obtains on one
 * thread when it retries a failed commit), and, unlike a {@code ReentrantLock}, any thread may end a hold. A
 * release deferred to the end of a Spring transaction needs that: the transaction manager may complete on another
 * thread (a JTA timeout rolled back by its reaper), and {@code ReentrantLock.unlock} there throws
 * {@code IllegalMonitorStateException} and leaves the lock held for good.
 *
 * <p>Each acquisition is a {@link Hold}, and ending one names it: a late or repeated completion cannot end a later
 * holder's hold.
 */
final class LocalLock {

  /** One acquisition: its owner thread, how deeply Quartz has nested it, and whether its end is underway. */
  static final class Hold {
    final Thread owner;
    private int depth = 1; // guarded by the LocalLock
    private boolean releaseDeferred; // guarded by the LocalLock
    private boolean ending; // guarded by the LocalLock

    private Hold(Thread owner) {
      this.owner = owner;
    }
  }

  // Fair, as the ReentrantLock(true) it replaces: the threads of one node take turns in arrival order.
  private final Semaphore permit = new Semaphore(1, true);
  private Hold hold; // guarded by this

  /** The hold of the current thread, or null. */
  synchronized Hold ofCurrentThread() {
    return hold != null && hold.owner == Thread.currentThread() ? hold : null;
  }

  /** How deeply the current thread holds it (0 = not at all). */
  synchronized int depthOfCurrentThread() {
    Hold h = ofCurrentThread();
    return h == null ? 0 : h.depth;
  }

  /** Waits up to {@code timeoutMillis}; returns the current thread's new hold, or null on timeout. */
  Hold tryLock(long timeoutMillis) throws InterruptedException {
    if (!permit.tryAcquire(timeoutMillis, MILLISECONDS)) {
      return null;
    }
    Hold h = new Hold(Thread.currentThread());
    synchronized (this) {
      hold = h;
    }
    return h;
  }

  /**
   * Waits until {@code deadlineNanos} (System.nanoTime), through interrupts (see {@link DeferredInterrupt}); returns
   * the current thread's new hold, or null on timeout.
   */
  Hold tryLockUntil(long deadlineNanos, DeferredInterrupt interrupt) {
    while (true) {
      try {
        return tryLock(Math.max(0, NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
      } catch (InterruptedException e) {
        interrupt.arrived();
      }
    }
  }

  /** One level deeper; by the owner. */
  synchronized void reenter(Hold h) {
    h.depth++;
  }

  /**
   * One level shallower; by the owner. True when that was not the last level, or the end is already deferred (a
   * further release of the same hold then changes nothing); false when the caller must end the hold.
   */
  synchronized boolean leave(Hold h) {
    if (h.depth > 1) {
      h.depth--;
      return true;
    }
    return h.releaseDeferred;
  }

  /** The hold ends later, on whichever thread completes the transaction. */
  synchronized void deferEnd(Hold h) {
    h.releaseDeferred = true;
  }

  /**
   * Claims the end of {@code h} for the calling thread (any thread). Only one caller wins, and only while
   * {@code h} is the current hold; the winner cleans up and then calls {@link #unlock}.
   */
  synchronized boolean claimEnd(Hold h) {
    if (hold != h || h.ending) {
      return false;
    }
    h.ending = true;
    return true;
  }

  /** Ends {@code h}, from any thread; a hold that has already ended is left alone. */
  void unlock(Hold h) {
    synchronized (this) {
      if (hold != h) {
        return;
      }
      hold = null;
    }
    permit.release();
  }
}
