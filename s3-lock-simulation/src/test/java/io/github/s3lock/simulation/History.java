package io.github.s3lock.simulation;

import java.util.ArrayList;
import java.util.List;

/**
 * What the nodes did, in ground-truth time: every lock call with its outcome, and every holding (from the
 * acquisition that started it to the moment its holder stopped working: before unlocking, or never, for a
 * crash). Together with the store's log of applied writes, this is what the {@link Checker} judges.
 * Thread-safe.
 */
final class History {

  enum Kind { ACQUIRE, EXTEND, RELEASE }

  /**
   * SUCCESS: acquired / extended / released. NEGATIVE: not acquired / lease lost / release answered false.
   * UNREPORTED: the API does not say (ShedLock's unlock returns nothing). THREW: an exception.
   */
  enum Outcome { PENDING, SUCCESS, NEGATIVE, UNREPORTED, THREW }

  static final class Call {
    final long id;
    final int node;
    final String lock;
    final Kind kind;
    final long start;
    long end;
    Outcome outcome = Outcome.PENDING;
    Throwable error;
    /** An extend made by a keep-alive (ShedLock's {@code KeepAliveLockProvider}) while the task works. */
    boolean keepAlive;
    /** The thread was interrupted before the call began. */
    boolean interruptedBefore;
    /** Whether the thread's interrupt flag was set when the call returned; null if nobody looked. */
    Boolean interruptFlagAfter;

    Call(long id, int node, String lock, Kind kind, long start) {
      this.id = id;
      this.node = node;
      this.lock = lock;
      this.kind = kind;
      this.start = start;
    }

    @Override
    public String toString() {
      return kind + (keepAlive ? "(keep-alive)" : "") + "#" + id + "(node " + node + ", " + lock + ", "
          + Checker.ms(start) + ".." + Checker.ms(end) + " -> " + outcome + (error == null ? "" : " " + error) + ")";
    }
  }

  static final class Holding {
    final Call acquire;
    /** The successful acquire/extend calls of this holding, latest last: they define its lease. */
    final List<Call> grants = new ArrayList<>();
    /** Every extend call of this holding, whatever its outcome. */
    final List<Call> extendCalls = new ArrayList<>();
    /** The release (unlock) of this holding, if its holder got that far. */
    Call release;
    /** When the holder stopped working under the lock; {@link Long#MAX_VALUE} if it crashed holding it. */
    long workEnd = Long.MAX_VALUE;
    boolean crashed;

    Holding(Call acquire) {
      this.acquire = acquire;
      grants.add(acquire);
    }
  }

  private final Timeline time;
  private final List<Call> calls = new ArrayList<>();
  private final List<Holding> holdings = new ArrayList<>();

  History(Timeline time) {
    this.time = time;
  }

  synchronized Call begin(int node, String lock, Kind kind) {
    Call call = new Call(calls.size(), node, lock, kind, time.nanos());
    calls.add(call);
    Calls.enter(call.id);
    return call;
  }

  /** An extend by the keep-alive of a long task (ShedLock's {@code KeepAliveLockProvider}). */
  synchronized Call beginKeepAlive(int node, String lock) {
    Call call = begin(node, lock, Kind.EXTEND);
    call.keepAlive = true;
    return call;
  }

  /** The caller interrupted its own thread just before {@code call}. */
  synchronized void interruptedBefore(Call call) {
    call.interruptedBefore = true;
  }

  synchronized void end(Call call, Outcome outcome) {
    call.end = time.nanos();
    call.outcome = outcome;
    Calls.leave();
  }

  synchronized void threw(Call call, Throwable error) {
    call.error = error;
    end(call, Outcome.THREW);
  }

  synchronized Holding holding(Call acquire) {
    Holding h = new Holding(acquire);
    holdings.add(h);
    return h;
  }

  synchronized void extending(Holding holding, Call extend) {
    holding.extendCalls.add(extend);
  }

  synchronized void extended(Holding holding, Call extend) {
    holding.grants.add(extend);
  }

  synchronized void releasing(Holding holding, Call release) {
    holding.release = release;
  }

  /** What the caller found on its thread's interrupt flag after {@code call} returned (and cleared it). */
  synchronized void interruptFlag(Call call, boolean set) {
    call.interruptFlagAfter = set;
  }

  synchronized void workEnded(Holding holding) {
    holding.workEnd = time.nanos();
  }

  synchronized void crashed(Holding holding) {
    holding.crashed = true;
  }

  synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  synchronized List<Holding> holdings() {
    return List.copyOf(holdings);
  }
}
