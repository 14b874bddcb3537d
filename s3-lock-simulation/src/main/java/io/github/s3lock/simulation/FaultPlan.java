package io.github.s3lock.simulation;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Decides, with seeded randomness, which fault (if any) hits each request, and counts what it injected (the
 * faults that hit nodes and lock objects rather than requests are counted here too, by {@link #record}).
 * Thread-safe (the Quartz run uses real threads); in the simulation only one thread runs at a time, so the
 * sequence of random draws, and with it the run, depends on the seed alone.
 */
final class FaultPlan {

  /**
   * How often each fault strikes, per request (0 = never).
   *
   * @param lateLandingPerWrite share of writes that time out on the client and land later ({@link Fault#LANDS_LATE})
   * @param interruptPerRequest share of requests during which the calling thread is interrupted
   */
  record Rates(double faultPerRequest, double spikePerRequest, long maxSpikeMillis, double burstPerRequest,
      long maxBurstMillis, double lateLandingPerWrite, double interruptPerRequest) {

    static final Rates NONE = new Rates(0, 0, 0, 0, 0, 0, 0);

    /**
     * Faults on about 4% of requests, a latency spike on 1%, a 503 burst every ~2,000 requests, and a late
     * landing on 0.6% of writes (as often as each other kind of write fault). No interrupts.
     */
    static Rates hostile(long maxSpikeMillis) {
      return new Rates(0.04, 0.01, maxSpikeMillis, 0.0005, 2000, 0.006, 0);
    }

    Rates withLateLandings(double perWrite) {
      return new Rates(faultPerRequest, spikePerRequest, maxSpikeMillis, burstPerRequest, maxBurstMillis, perWrite,
          interruptPerRequest);
    }

    Rates withInterrupts(double perRequest) {
      return new Rates(faultPerRequest, spikePerRequest, maxSpikeMillis, burstPerRequest, maxBurstMillis,
          lateLandingPerWrite, perRequest);
    }

    Rates withBursts(double perRequest) {
      return new Rates(faultPerRequest, spikePerRequest, maxSpikeMillis, perRequest, maxBurstMillis,
          lateLandingPerWrite, interruptPerRequest);
    }
  }

  private static final Fault[] WRITE_FAULTS = {Fault.DROPPED_BEFORE_APPLY, Fault.APPLIED_RESPONSE_LOST,
      Fault.APPLIED_THEN_500, Fault.APPLIED_THEN_503, Fault.CONFLICT_409, Fault.ERROR_500};
  private static final Fault[] READ_FAULTS = {Fault.DROPPED_BEFORE_APPLY, Fault.ERROR_500, Fault.BODY_BROKEN_OFF};

  /** A late write lands this long after it reached the store's queue: 0.1 s to 4 s. */
  private static final int MIN_LATE_MILLIS = 100;
  private static final int MAX_LATE_MILLIS = 4000;

  private final Random random;
  private final Rates rates;
  private final Map<Fault, Long> injected = new EnumMap<>(Fault.class);
  private long burstUntil = Long.MIN_VALUE;
  private long requests;
  private final Set<Long> faultedCalls = new HashSet<>();
  private final Set<Long> interruptedCalls = new HashSet<>();

  private final boolean network;

  FaultPlan(Random random, Rates rates) {
    this(random, rates, true);
  }

  private FaultPlan(Random random, Rates rates, boolean network) {
    this.random = random;
    this.rates = rates;
    this.network = network;
  }

  /** No faults and no latency: requests are answered at once, for measuring the client's own cost. */
  static FaultPlan instant() {
    return new FaultPlan(new Random(0), Rates.NONE, false);
  }

  Random random() {
    return random;
  }

  /** The fault for the next request of lock call {@code call}, or null. */
  synchronized Fault next(boolean write, long now, long call) {
    requests++;
    Fault fault = draw(write, now);
    if (fault == Fault.INTERRUPTED_IN_FLIGHT) {
      // Not a store failure: the protocol must cope with it as if the store had been fine (undo, release).
      interruptedCalls.add(call);
    } else if (fault != null && fault != Fault.LATENCY_SPIKE) {
      faultedCalls.add(call);
    }
    return fault;
  }

  private Fault draw(boolean write, long now) {
    if (rates.burstPerRequest() > 0 && random.nextDouble() < rates.burstPerRequest()) {
      burstUntil = now + Timeline.millis(200 + random.nextInt((int) rates.maxBurstMillis()));
    }
    if (rates.interruptPerRequest() > 0 && random.nextDouble() < rates.interruptPerRequest()) {
      return count(Fault.INTERRUPTED_IN_FLIGHT);
    }
    if (now < burstUntil && random.nextDouble() < 0.8) {
      return count(Fault.SLOWDOWN_503);
    }
    if (write && rates.lateLandingPerWrite() > 0 && random.nextDouble() < rates.lateLandingPerWrite()) {
      return count(Fault.LANDS_LATE);
    }
    if (random.nextDouble() < rates.faultPerRequest()) {
      Fault[] kinds = write ? WRITE_FAULTS : READ_FAULTS;
      return count(kinds[random.nextInt(kinds.length)]);
    }
    if (random.nextDouble() < rates.spikePerRequest()) {
      return count(Fault.LATENCY_SPIKE);
    }
    return null;
  }

  /** One-way latency of a request or response: a few milliseconds, or a spike. */
  synchronized long latencyNanos(boolean spike) {
    if (!network) {
      return 0;
    }
    if (spike) {
      return Timeline.millis(100 + random.nextInt((int) Math.max(1, rates.maxSpikeMillis() - 100)));
    }
    return 1_000_000L + random.nextInt(15_000_000);
  }

  /** How long a {@link Fault#LANDS_LATE} write waits in the queue before the store applies it. */
  synchronized long lateLandingNanos() {
    return Timeline.millis(MIN_LATE_MILLIS + random.nextInt(MAX_LATE_MILLIS - MIN_LATE_MILLIS));
  }

  /** Whether a late write also lands as soon as its client's next read of the key has been served. */
  synchronized boolean landAfterNextRead() {
    return random.nextBoolean();
  }

  /** Whether an in-flight interrupt strikes after the store applied the request (else before it saw it). */
  synchronized boolean interruptAfterApply() {
    return random.nextBoolean();
  }

  /** Counts a fault that hit a node or a lock object rather than a request. */
  synchronized void record(Fault fault) {
    count(fault);
  }

  private Fault count(Fault fault) {
    injected.merge(fault, 1L, Long::sum);
    return fault;
  }

  /** The lock calls that had a request failed or dropped by an injected fault. */
  synchronized Set<Long> faultedCalls() {
    return Set.copyOf(faultedCalls);
  }

  /** The lock calls whose thread was interrupted while a request was in flight. */
  synchronized Set<Long> interruptedCalls() {
    return Set.copyOf(interruptedCalls);
  }

  synchronized long requests() {
    return requests;
  }

  synchronized Map<Fault, Long> injected() {
    return new EnumMap<>(injected);
  }
}
