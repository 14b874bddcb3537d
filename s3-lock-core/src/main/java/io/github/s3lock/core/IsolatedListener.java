package io.github.s3lock.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's {@link LockListener} that cannot change a lock's outcome. Listeners are called after the fact, some
 * right after a won PUT: a metrics bug that throws there would make {@code tryAcquire} throw with the lock held
 * by nobody who knows it, until its lockUntil. So every call is caught; the first failure is logged at WARN
 * with its stack trace, later ones at DEBUG, and all are counted.
 */
final class IsolatedListener implements LockListener {

  private static final Logger log = LoggerFactory.getLogger(IsolatedListener.class);

  private final LockListener delegate;
  private final AtomicLong failures = new AtomicLong();

  private IsolatedListener(LockListener delegate) {
    this.delegate = delegate;
  }

  static LockListener of(LockListener listener) {
    return listener == LockListener.NONE || listener instanceof IsolatedListener ? listener
        : new IsolatedListener(listener);
  }

  /** Listener calls that threw so far. */
  long failures() {
    return failures.get();
  }

  @Override
  public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
    try {
      delegate.attempted(lockName, outcome, latency);
    } catch (RuntimeException e) {
      failed("attempted", e);
    }
  }

  @Override
  public void requestCompleted(Request request, int status) {
    try {
      delegate.requestCompleted(request, status);
    } catch (RuntimeException e) {
      failed("requestCompleted", e);
    }
  }

  @Override
  public void released(String lockName, Duration heldFor) {
    try {
      delegate.released(lockName, heldFor);
    } catch (RuntimeException e) {
      failed("released", e);
    }
  }

  @Override
  public void leaseLost(String lockName) {
    try {
      delegate.leaseLost(lockName);
    } catch (RuntimeException e) {
      failed("leaseLost", e);
    }
  }

  private void failed(String method, RuntimeException e) {
    long n = failures.incrementAndGet();
    if (n == 1) {
      log.warn("LockListener {}.{} threw; the lock's outcome is unaffected. Later failures are logged at DEBUG"
          + " and counted.", delegate.getClass().getName(), method, e);
    } else {
      log.debug("LockListener {}.{} threw (failure {}): {}", delegate.getClass().getName(), method, n, e.toString());
    }
  }
}
