package io.github.s3lock.simulation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Semaphore;

/**
 * Virtual time with deterministic interleaving. Each simulated node runs on its own thread (so the real,
 * blocking S3 client code runs unchanged), but only one thread runs at a time: a thread gives up control
 * whenever it lets virtual time pass ({@link #sleep}) and hands it straight to the thread with the earliest
 * wake-up. Everything between two sleeps is therefore atomic, and a run is a function of its seed.
 *
 * <p>Sleeps happen on the wire (the in-memory HTTP client waits for its simulated latency before and after
 * the store applies a request), so requests of different nodes interleave at request granularity, which is the
 * granularity at which S3 itself orders them.
 */
final class FiberScheduler implements Timeline {

  /** Thrown into a fiber's sleep when the run ends; an Error so that no {@code catch (RuntimeException)} eats it. */
  static final class Stopped extends Error {
    Stopped() {
      super("simulation stopped", null, false, false);
    }
  }

  private record Wakeup(long at, long seq, Fiber fiber) {}

  private final class Fiber {
    private final Thread thread;
    private final Semaphore go = new Semaphore(0);
    private volatile boolean finished;

    private Fiber(String name, Runnable body) {
      thread = new Thread(() -> {
        go.acquireUninterruptibly();
        try {
          if (!stopping) {
            CURRENT.set(this);
            body.run();
          }
        } catch (Stopped ignored) {
          // The run is over.
        } catch (Throwable t) {
          failure = t;
        } finally {
          finished = true;
          if (stopping) {
            exited.release();
          } else {
            dispatch();
          }
        }
      }, name);
      thread.setDaemon(true);
    }
  }

  private static final ThreadLocal<Fiber> CURRENT = new ThreadLocal<>();

  private final PriorityQueue<Wakeup> queue =
      new PriorityQueue<>(Comparator.comparingLong(Wakeup::at).thenComparingLong(Wakeup::seq));
  private final Semaphore ended = new Semaphore(0);
  private final Semaphore exited = new Semaphore(0);
  private final List<Fiber> fibers = new ArrayList<>();
  private volatile boolean stopping;
  private volatile Throwable failure;
  private volatile long now;
  private long end;
  private long seq;

  @Override
  public long nanos() {
    return now;
  }

  /** Starts {@code body} on a new fiber at virtual time {@code at}. Call from the driver or from a fiber. */
  void spawn(String name, long at, Runnable body) {
    Fiber fiber = new Fiber(name, body);
    fibers.add(fiber);
    fiber.thread.start();
    queue.add(new Wakeup(Math.max(at, now), seq++, fiber));
  }

  @Override
  public void later(String name, long delayNanos, Runnable action) {
    spawn(name, now + Math.max(0, delayNanos), action);
  }

  @Override
  public void sleep(long nanos) {
    Fiber self = CURRENT.get();
    if (self == null) {
      throw new IllegalStateException("virtual sleep outside a simulated node (thread "
          + Thread.currentThread().getName() + ")");
    }
    if (stopping) {
      throw new Stopped();
    }
    queue.add(new Wakeup(now + Math.max(0, nanos), seq++, self));
    Wakeup next = queue.peek();
    if (next.fiber() == self && next.at() <= end && failure == null) {
      queue.poll(); // nobody else is due first: no hand-off
      now = next.at();
      return;
    }
    dispatch();
    self.go.acquireUninterruptibly();
    if (stopping) {
      throw new Stopped();
    }
  }

  /** Runs fibers until virtual time {@code end}, then stops them all. Rethrows a fiber's unexpected failure. */
  void run(long end) {
    this.end = end;
    dispatch();
    ended.acquireUninterruptibly();
    stopAll();
    if (failure != null) {
      throw new IllegalStateException("a simulated node failed unexpectedly", failure);
    }
  }

  /** Called by the thread that gives up control: wakes the next fiber, or the driver when the run is over. */
  private void dispatch() {
    Wakeup next = queue.peek();
    if (next == null || next.at() > end || failure != null) {
      ended.release();
      return;
    }
    queue.poll();
    now = next.at();
    next.fiber().go.release();
  }

  private void stopAll() {
    stopping = true;
    for (Fiber fiber : fibers) {
      if (!fiber.finished) {
        fiber.go.release();
        exited.acquireUninterruptibly();
      }
    }
    queue.clear();
  }
}
