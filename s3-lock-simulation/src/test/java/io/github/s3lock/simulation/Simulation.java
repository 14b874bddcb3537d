package io.github.s3lock.simulation;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.TimeMode;
import io.github.s3lock.shedlock.ProviderTestHooks;
import io.github.s3lock.shedlock.S3LockProvider;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.support.LockException;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One seeded simulation run: {@code nodes} nodes (even ones through {@code S3LockProvider}, odd ones through
 * {@code S3LockClient}) compete for {@code locks} lock names over an {@link InMemoryS3} with injected faults, in
 * virtual time, each with its own wall clock (which steps) and monotonic clock (which does not). Nodes hold locks
 * for a while, sometimes extend them, sometimes run a long task under a keep-alive, sometimes stall past their
 * lease (a GC pause) and sometimes crash while holding (and restart later, cold, with a fresh client). Their
 * listeners throw now and then, their threads get interrupted, and an operator deletes lock objects. The
 * {@link Checker} then judges the history.
 */
final class Simulation {

  static final String BUCKET = InMemoryClients.BUCKET;
  static final String PREFIX = "locks/";

  /**
   * Faults that hit nodes and lock objects rather than requests (0 = never).
   *
   * @param deletesPerHour deletions of a random lock object (held or not) by an operator or lifecycle rule
   * @param clockStepsPerNodeHour wall-clock steps of each node. Server time: 1 s to {@code maxStepMillis} either
   *     way, as often as that. Client time trusts the clock bound, so there a step moves the clock anywhere within
   *     the bound (up to twice the bound at once) and never beyond: a step beyond is outside the protocol's
   *     assumptions (see {@code BadInputTest}).
   * @param listenerFailureRate share of listener calls that throw
   * @param interruptBeforeCallRate share of acquire, extend and release calls whose thread is interrupted first
   * @param keepAliveRate share of ShedLock holdings that are long tasks kept alive by extension
   */
  record Hazards(double deletesPerHour, double clockStepsPerNodeHour, long maxStepMillis,
      double listenerFailureRate, double interruptBeforeCallRate, double keepAliveRate) {

    static final Hazards NONE = new Hazards(0, 0, 0, 0, 0, 0);

    /** The main runs: a deletion a minute, a step per node every 3 minutes, rare listener bugs and interrupts. */
    static final Hazards MODEST = new Hazards(60, 20, 10_000, 0.002, 0.002, 0.1);
  }

  /** Client behaviour from before a fix, put back so that a run shows the checker catching it. */
  enum OldBehaviour {
    NONE,
    /**
     * Server-time bounds carried on the wall clock, as {@code StoreClock} did before commit 640af59: the node's
     * "monotonic" clock follows its wall clock's steps.
     */
    STORE_CLOCK_ON_WALL_CLOCK,
    /**
     * A keep-alive whose extend throws once the store failed three writes in a row, as the ShedLock provider's
     * did before it retried within the lease: here the core client's extend, kept alive on the core nodes too.
     */
    KEEP_ALIVE_GIVES_UP_ON_ERROR
  }

  /** Everything that shapes a run besides its seed. */
  record Config(int nodes, int locks, boolean serverTime, long clockBoundMillis, long runSeconds,
      FaultPlan.Rates rates, Hazards hazards, InMemoryS3.Broken broken, OldBehaviour old, double crashRate,
      double pauseRate, double extendRate) {

    static Config clientTime(int locks, long runSeconds) {
      return new Config(5, locks, false, 250, runSeconds, FaultPlan.Rates.hostile(3000).withInterrupts(0.002),
          Hazards.MODEST, InMemoryS3.Broken.NONE, OldBehaviour.NONE, 0.005, 0.02, 0.1);
    }

    /**
     * Server time: node clocks minutes off. Latency spikes stay under half a second each way: the client's
     * estimate of the store's clock is good to 0.5 s plus half a round trip, and its margin is 1 s.
     */
    static Config serverTime(int locks, long runSeconds) {
      return new Config(5, locks, true, 0, runSeconds, FaultPlan.Rates.hostile(450).withInterrupts(0.002),
          Hazards.MODEST, InMemoryS3.Broken.NONE, OldBehaviour.NONE, 0.005, 0.02, 0.1);
    }

    Config broken(InMemoryS3.Broken mode) {
      return new Config(nodes, locks, serverTime, clockBoundMillis, runSeconds, rates, hazards, mode, old,
          crashRate, pauseRate, extendRate);
    }

    Config with(FaultPlan.Rates r) {
      return new Config(nodes, locks, serverTime, clockBoundMillis, runSeconds, r, hazards, broken, old, crashRate,
          pauseRate, extendRate);
    }

    Config with(Hazards h) {
      return new Config(nodes, locks, serverTime, clockBoundMillis, runSeconds, rates, h, broken, old, crashRate,
          pauseRate, extendRate);
    }

    Config with(OldBehaviour o) {
      return new Config(nodes, locks, serverTime, clockBoundMillis, runSeconds, rates, hazards, broken, o,
          crashRate, pauseRate, extendRate);
    }

    /** One-way latency of a spike, at most: the store-clock estimate's error grows with half a round trip. */
    long maxOneWayNanos() {
      return Timeline.millis(rates.maxSpikeMillis());
    }
  }

  /** The outcome of a run. */
  record Result(long seed, Config config, Checker.Verdict verdict, Map<Fault, Long> faults, long requests,
      History history, List<InMemoryS3.AppliedWrite> writes) {}

  private static final int MAX_LOCK_AT_MOST_MILLIS = 8000;

  private final long seed;
  private final Config config;
  private final FiberScheduler time = new FiberScheduler();
  private final Random random;
  private final FaultPlan faults;
  private final InMemoryS3 store;
  private final History history = new History(time);

  private Simulation(long seed, Config config) {
    this.seed = seed;
    this.config = config;
    this.random = new Random(seed);
    this.faults = new FaultPlan(new Random(random.nextLong()), config.rates());
    Duration serverOffset = config.serverTime() ? Duration.ofMillis(random.nextInt(60_000) - 30_000) : Duration.ZERO;
    this.store = new InMemoryS3(time, serverOffset);
    store.createBucket(BUCKET);
    store.breakIt(config.broken());
  }

  static Result run(long seed, Config config) {
    return new Simulation(seed, config).run();
  }

  private Result run() {
    long end = Timeline.millis(config.runSeconds() * 1000);
    // ShedLock computes lockAtMostUntil and extensions with its global clock: make it each node's own.
    ClockProvider.setClock(new NodeClocks(time));
    try {
      for (int n = 0; n < config.nodes(); n++) {
        int node = n;
        Random nodeRandom = new Random(random.nextLong());
        NodeClock clock = nodeClock(nodeRandom, end);
        Random stepRandom = new Random(nodeRandom.nextLong());
        time.spawn("sim-node-" + n, Timeline.millis(nodeRandom.nextInt(1000)), () -> live(node, nodeRandom, clock));
        time.spawn("sim-clock-" + n, 0, () -> stepClock(stepRandom, clock, end));
      }
      Random operatorRandom = new Random(random.nextLong());
      time.spawn("sim-operator", 0, () -> operate(operatorRandom));
      time.run(end);
    } finally {
      ClockProvider.setClock(Clock.systemUTC());
    }
    Checker.Setup setup = new Checker.Setup(Timeline.EPOCH, false, config.serverTime(),
        Timeline.millis(config.clockBoundMillis()), store.serverClockOffset().toNanos(),
        Timeline.millis(MAX_LOCK_AT_MOST_MILLIS), end, BUCKET,
        node -> node % 2 == 0 ? Set.of(LockException.class) : Set.of(S3LockException.class), faults.faultedCalls(),
        faults.interruptedCalls(), holderMarginNanos());
    List<InMemoryS3.AppliedWrite> writes = store.writes();
    Checker.Verdict verdict = Checker.check(setup, history, writes);
    return new Result(seed, config, verdict, faults.injected(), faults.requests(), history, writes);
  }

  /**
   * How long before its lockUntil a holder may stop trusting its lease. Client time: its clock may be up to the
   * bound ahead. Server time: its upper bound of the store's clock is up to 1 s (Date's resolution) plus the
   * round trip of its calibrating request ahead.
   */
  private long holderMarginNanos() {
    return config.serverTime() ? Timeline.millis(1000) + 2 * config.maxOneWayNanos()
        : Timeline.millis(config.clockBoundMillis());
  }

  /**
   * A node's clocks. Client time: offset and drift keep the wall clock within the clock bound of ground truth for
   * the whole run. Server time: minutes off (the store's clock decides), drifting up to 100 ppm.
   */
  private NodeClock nodeClock(Random r, long end) {
    long offset;
    double drift;
    if (config.serverTime()) {
      offset = Timeline.millis(r.nextInt(600_000) - 300_000);
      drift = (r.nextDouble() * 2 - 1) * 100e-6;
    } else {
      long half = Timeline.millis(config.clockBoundMillis()) / 2;
      offset = (long) ((r.nextDouble() * 2 - 1) * half);
      drift = (r.nextDouble() * 2 - 1) * half / (double) end;
    }
    return new NodeClock(time, offset, drift, r.nextLong() / 4);
  }

  /** Steps a node's wall clock now and then; see {@link Hazards#clockStepsPerNodeHour}. */
  private void stepClock(Random r, NodeClock clock, long end) {
    double perHour = config.hazards().clockStepsPerNodeHour();
    if (perHour <= 0) {
      return;
    }
    while (true) {
      time.sleep(exponential(r, 3600e9 / perHour));
      long step;
      if (config.serverTime()) {
        long max = config.hazards().maxStepMillis();
        step = Timeline.millis(1000 + (long) (r.nextDouble() * (max - 1000))) * (r.nextBoolean() ? 1 : -1);
      } else {
        // Anywhere within the bound that the drift keeps within it until the run ends.
        long bound = Timeline.millis(config.clockBoundMillis());
        long driftToEnd = clock.errorAt(end) - clock.errorNanos();
        long low = -bound - Math.min(0, driftToEnd);
        long high = bound - Math.max(0, driftToEnd);
        step = low + (long) (r.nextDouble() * (high - low)) - clock.errorNanos();
      }
      clock.step(step);
      faults.record(Fault.WALL_CLOCK_STEP);
    }
  }

  /** An operator or lifecycle rule: deletes a random lock object now and then, whether held or not. */
  private void operate(Random r) {
    double perHour = config.hazards().deletesPerHour();
    if (perHour <= 0) {
      return;
    }
    while (true) {
      time.sleep(exponential(r, 3600e9 / perHour));
      if (store.deleteObject(BUCKET, PREFIX + "job-" + r.nextInt(config.locks()))) {
        faults.record(Fault.LOCK_OBJECT_DELETED);
      }
    }
  }

  private static long exponential(Random r, double meanNanos) {
    return (long) (-Math.log(1 - r.nextDouble()) * meanNanos);
  }

  /** A node: runs incarnations until the simulation stops it; a crash ends one, a restart begins the next. */
  private void live(int node, Random r, NodeClock clock) {
    NodeClocks.bind(clock);
    for (int incarnation = 0; ; incarnation++) {
      SimHttpClient http = new SimHttpClient(store, time, faults, node);
      LockListener listener = new FailingListener(new Random(r.nextLong()),
          config.hazards().listenerFailureRate(), faults);
      work(node, r, locks(node, "node-" + node + "." + incarnation, s3Client(http), clock, listener), clock);
      http.crash();
      time.sleep(Timeline.millis(500 + r.nextInt(5000))); // down until restarted
    }
  }

  /** A fresh (cold) client of the node's kind, on the node's clocks. */
  private NodeLocks locks(int node, String name, S3Client s3, NodeClock clock, LockListener listener) {
    TimeMode mode = config.serverTime() ? TimeMode.SERVER : TimeMode.CLIENT;
    LongSupplier ticker = config.old() == OldBehaviour.STORE_CLOCK_ON_WALL_CLOCK ? clock::wallClockAsTickerNanos
        : clock::tickerNanos;
    if (node % 2 == 0) {
      S3LockProvider.Builder provider = S3LockProvider.builder().s3Client(s3).bucket(BUCKET).keyPrefix(PREFIX)
          .lockedBy(name).timeMode(mode).listener(listener);
      ProviderTestHooks.clocks(provider, clock, ticker);
      ProviderTestHooks.extendRetryPause(provider, time::sleep);
      return NodeLocks.shedLock(provider.build(), clock);
    }
    return NodeLocks.core(S3LockClient.builder().s3Client(s3).bucket(BUCKET).keyPrefix(PREFIX).lockedBy(name)
        .timeMode(mode).clock(clock).ticker(ticker).listener(listener).build(), clock);
  }

  /** Lock cycles until this incarnation crashes. */
  private void work(int node, Random r, NodeLocks locks, NodeClock clock) {
    while (true) {
      time.sleep(Timeline.millis(r.nextInt(1500)));
      String name = "job-" + r.nextInt(config.locks());
      Duration atMost = Duration.ofMillis(2000 + r.nextInt(MAX_LOCK_AT_MOST_MILLIS - 2000));
      Duration atLeast = r.nextDouble() < 0.2 ? Duration.ofMillis(r.nextInt(1500)) : Duration.ZERO;
      History.Call acquire = history.begin(node, name, History.Kind.ACQUIRE);
      Optional<NodeLocks.Held> held;
      try {
        maybeInterrupt(r, acquire);
        held = locks.acquire(name, atMost, atLeast);
        returned(acquire, held.isPresent() ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE);
      } catch (RuntimeException e) {
        threw(acquire, e);
        continue;
      }
      if (held.isEmpty()) {
        continue;
      }
      History.Holding holding = history.holding(acquire);
      NodeLocks.Held lock = held.get();
      double roll = r.nextDouble();
      if (roll < config.crashRate()) {
        time.sleep(Timeline.millis(r.nextInt((int) atMost.toMillis())));
        history.crashed(holding);
        return;
      }
      boolean keepAlive = node % 2 == 0 || config.old() == OldBehaviour.KEEP_ALIVE_GIVES_UP_ON_ERROR;
      if (keepAlive && r.nextDouble() < config.hazards().keepAliveRate()) {
        Optional<NodeLocks.Held> kept = keptAlive(node, r, name, atMost, holding, lock, clock);
        if (kept.isEmpty()) {
          history.workEnded(holding); // the keep-alive found the lock lost: ShedLock cannot unlock a spent lock
          continue;
        }
        lock = kept.get();
      } else if (roll < config.crashRate() + config.pauseRate()) {
        // A stall past the lease: the holder does not know that its lock may have been taken meanwhile.
        time.sleep(atMost.toNanos() + Timeline.millis(r.nextInt(3000)));
      } else {
        time.sleep((long) (atMost.toNanos() * 0.7 * r.nextDouble()));
        if (r.nextDouble() < config.extendRate()) {
          Duration longer = Duration.ofMillis(2000 + r.nextInt(MAX_LOCK_AT_MOST_MILLIS - 2000));
          History.Call extend = history.begin(node, name, History.Kind.EXTEND);
          history.extending(holding, extend);
          try {
            maybeInterrupt(r, extend);
            Optional<NodeLocks.Held> extended = lock.extend(longer);
            returned(extend, extended.isPresent() ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE);
            if (extended.isEmpty()) {
              history.workEnded(holding); // the lock is no longer ours: stop, nothing to unlock
              continue;
            }
            history.extended(holding, extend);
            lock = extended.get();
            time.sleep((long) (longer.toNanos() * 0.7 * r.nextDouble()));
          } catch (RuntimeException e) {
            threw(extend, e);
          }
        }
      }
      history.workEnded(holding);
      History.Call release = history.begin(node, name, History.Kind.RELEASE);
      history.releasing(holding, release);
      try {
        maybeInterrupt(r, release);
        History.Outcome outcome = lock.release();
        returned(release, outcome);
      } catch (RuntimeException e) {
        threw(release, e);
      }
    }
  }

  /**
   * A long task (1.5 to 3.5 times lockAtMostFor) under a keep-alive, as ShedLock's {@code KeepAliveLockProvider}
   * (7.9) runs it: every lockAtMostFor/2 it extends by lockAtMostFor, on another thread; it stops for good when an
   * extend reports the lock lost or throws (its scheduled executor drops a periodic task that threw); the task
   * works on regardless. Returns the lock to unlock (the last one extended), or empty when the keep-alive found
   * it lost.
   */
  private Optional<NodeLocks.Held> keptAlive(int node, Random r, String name, Duration atMost,
      History.Holding holding, NodeLocks.Held lock, NodeClock clock) {
    KeepAlive keepAlive = new KeepAlive(node, name, atMost, holding, lock, clock);
    long period = atMost.toNanos() / 2;
    time.spawn("sim-keep-alive-" + node, time.nanos() + period, () -> {
      NodeClocks.bind(clock);
      keepAlive.run(period);
    });
    time.sleep((long) (atMost.toNanos() * (1.5 + 2 * r.nextDouble())));
    return keepAlive.stop();
  }

  /** The keep-alive of one long task, on a fiber of its own. */
  private final class KeepAlive {
    private final int node;
    private final String name;
    private final Duration atMost;
    private final History.Holding holding;
    private final NodeClock clock;
    private volatile NodeLocks.Held lock;
    private volatile Instant lockAtMostUntil;
    private volatile boolean stopped;
    private volatile boolean lost;
    private volatile boolean extending;

    KeepAlive(int node, String name, Duration atMost, History.Holding holding, NodeLocks.Held lock,
        NodeClock clock) {
      this.node = node;
      this.name = name;
      this.atMost = atMost;
      this.holding = holding;
      this.lock = lock;
      this.clock = clock;
      this.lockAtMostUntil = clock.instant().plus(atMost);
    }

    void run(long period) {
      while (!stopped) {
        if (lockAtMostUntil.isBefore(clock.instant())) {
          return; // KeepAliveLock: too late to extend, stop
        }
        lockAtMostUntil = clock.instant().plus(atMost);
        extending = true;
        History.Call extend = history.beginKeepAlive(node, name);
        history.extending(holding, extend);
        try {
          Optional<NodeLocks.Held> extended = lock.extend(atMost);
          returned(extend, extended.isPresent() ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE);
          if (extended.isEmpty()) {
            lost = true;
            return; // "Can't extend lock": stop
          }
          history.extended(holding, extend);
          lock = extended.get();
        } catch (RuntimeException e) {
          threw(extend, e);
          return; // the executor drops the periodic task
        } finally {
          extending = false;
        }
        time.sleep(period);
      }
    }

    /** Stops extending; as KeepAliveLock's unlock, waits for an extend in flight. Returns the lock to unlock. */
    Optional<NodeLocks.Held> stop() {
      stopped = true;
      while (extending) {
        time.sleep(Timeline.millis(1));
      }
      return lost ? Optional.empty() : Optional.of(lock);
    }
  }

  /** Now and then the node's own thread is interrupted just before a call (a shutdown, a cancelled task). */
  private void maybeInterrupt(Random r, History.Call call) {
    if (config.hazards().interruptBeforeCallRate() > 0 && r.nextDouble() < config.hazards().interruptBeforeCallRate()) {
      faults.record(Fault.INTERRUPTED_BEFORE_CALL);
      history.interruptedBefore(call);
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A call returned: the node looks at (and clears) its thread's interrupt flag, as a scheduler's worker loop
   * does, so that the next call starts clean; the checker judges whether an interrupt survived the call.
   */
  private void returned(History.Call call, History.Outcome outcome) {
    history.interruptFlag(call, Thread.interrupted());
    history.end(call, outcome);
  }

  private void threw(History.Call call, RuntimeException e) {
    history.interruptFlag(call, Thread.interrupted());
    history.threw(call, e);
  }

  /**
   * The real S3 client over the simulated network. SDK retries stay on (3 attempts, as by default: they are
   * what turns a lost response into a 412 for our own write), but without backoff, which would sleep in real
   * time; no signing (anonymous), which costs time and proves nothing here.
   */
  static S3Client s3Client(SdkHttpClient http) {
    return S3Client.builder()
        .httpClient(http)
        .region(Region.US_EAST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .endpointOverride(URI.create("http://s3.sim.invalid"))
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
            .maxAttempts(3)
            .backoffStrategy(BackoffStrategy.retryImmediately())
            .throttlingBackoffStrategy(BackoffStrategy.retryImmediately())
            .circuitBreakerEnabled(false)
            .build()))
        .build();
  }
}
