package io.github.s3lock.shedlock;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;
import net.javacrumbs.shedlock.core.ClockProvider;

/**
 * The S3 locks each thread holds, innermost first, for {@link S3LockProvider#currentFencingToken()}. ShedLock's
 * {@code LockingTaskExecutor} calls {@code lock()}, runs the task and calls {@code unlock()} on one thread (the
 * same assumption its {@code LockAssert} makes), so the thread that took a lock is the thread whose task runs
 * under it.
 *
 * <p>A {@link Holding} is one acquisition, shared by the locks that extending it produces. It may end on another
 * thread (a keep-alive extension that failed), so ended holdings are marked and dropped lazily by their thread.
 * A holding also ends at its {@code lockAtMostUntil}: past it the lock is no longer ours (another node may hold
 * it with a larger token), and a lock that was never unlocked must not leave a token on a pooled thread.
 */
final class HoldingsByThread {

  private static final ThreadLocal<Deque<Holding>> HELD = ThreadLocal.withInitial(ArrayDeque::new);

  /** One acquisition of a lock name. */
  static final class Holding {
    private final String name;
    private final long token;
    private volatile Instant lockAtMostUntil;
    private volatile boolean ended;

    private Holding(String name, long token, Instant lockAtMostUntil) {
      this.name = name;
      this.token = token;
      this.lockAtMostUntil = lockAtMostUntil;
    }

    void extendedUntil(Instant newLockAtMostUntil) {
      lockAtMostUntil = newLockAtMostUntil;
    }

    private boolean live(Instant now) {
      return !ended && now.isBefore(lockAtMostUntil);
    }
  }

  private HoldingsByThread() {}

  static Holding started(String name, long token, Instant lockAtMostUntil) {
    Holding holding = new Holding(name, token, lockAtMostUntil);
    Deque<Holding> held = HELD.get();
    Instant now = ClockProvider.now();
    held.removeIf(h -> !h.live(now));
    held.push(holding);
    return holding;
  }

  static void ended(Holding holding) {
    holding.ended = true;
    Deque<Holding> held = HELD.get();
    held.remove(holding);
    if (held.isEmpty()) {
      HELD.remove();
    }
  }

  /** The token of the innermost live holding on this thread, of {@code name} or of any name when null. */
  static OptionalLong currentToken(String name) {
    Deque<Holding> held = HELD.get();
    Instant now = ClockProvider.now();
    held.removeIf(h -> !h.live(now));
    for (Holding h : held) {
      if (name == null || name.equals(h.name)) {
        return OptionalLong.of(h.token);
      }
    }
    if (held.isEmpty()) {
      HELD.remove();
    }
    return OptionalLong.empty();
  }
}
