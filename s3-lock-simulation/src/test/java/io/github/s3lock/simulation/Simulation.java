package io.github.s3lock.simulation;

import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.TimeMode;
import io.github.s3lock.shedlock.S3LockProvider;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.support.LockException;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One seeded simulation run: {@code nodes} nodes (even ones through {@code S3LockProvider}, odd ones through
 * {@code S3LockClient}) compete for {@code locks} lock names over an {@link InMemoryS3} with injected faults, in
 * virtual time, each with its own clock. Nodes hold locks for a while, sometimes extend them, sometimes stall
 * past their lease (a GC pause) and sometimes crash while holding (and restart later with a fresh client).
 * The {@link Checker} then judges the history.
 */
final class Simulation {

  static final String BUCKET = "sim-bucket";
  static final String PREFIX = "locks/";

  /** Everything that shapes a run besides its seed. */
  record Config(int nodes, int locks, boolean serverTime, long clockBoundMillis, long runSeconds,
      FaultPlan.Rates rates, InMemoryS3.Broken broken, double crashRate, double pauseRate, double extendRate) {

    static Config clientTime(int locks, long runSeconds) {
      return new Config(5, locks, false, 250, runSeconds, FaultPlan.Rates.hostile(3000), InMemoryS3.Broken.NONE,
          0.005, 0.02, 0.1);
    }

    /**
     * Server time: node clocks minutes off. Latency spikes stay under half a second each way: the client's
     * estimate of the store's clock is good to 0.5 s plus half a round trip, and its margin is 1 s.
     */
    static Config serverTime(int locks, long runSeconds) {
      return new Config(5, locks, true, 0, runSeconds, FaultPlan.Rates.hostile(450), InMemoryS3.Broken.NONE, 0.005,
          0.02, 0.1);
    }

    Config broken(InMemoryS3.Broken mode) {
      return new Config(nodes, locks, serverTime, clockBoundMillis, runSeconds, rates, mode, crashRate, pauseRate,
          extendRate);
    }
  }

  /** The outcome of a run. */
  record Result(long seed, Config config, Checker.Verdict verdict, Map<Fault, Long> faults, long requests,
      History history, List<InMemoryS3.AppliedWrite> writes) {}

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
        InstantSource clock = nodeClock(nodeRandom, end);
        time.spawn("sim-node-" + n, Timeline.millis(nodeRandom.nextInt(1000)), () -> live(node, nodeRandom, clock));
      }
      time.run(end);
    } finally {
      ClockProvider.setClock(Clock.systemUTC());
    }
    Checker.Setup setup = new Checker.Setup(Timeline.EPOCH, false, config.serverTime(), Timeline.millis(config.clockBoundMillis()),
        store.serverClockOffset().toNanos(), Timeline.millis(MAX_LOCK_AT_MOST_MILLIS), end, BUCKET,
        node -> node % 2 == 0 ? Set.of(LockException.class) : Set.of(S3LockException.class), faults.faultedCalls());
    List<InMemoryS3.AppliedWrite> writes = store.writes();
    Checker.Verdict verdict = Checker.check(setup, history, writes);
    return new Result(seed, config, verdict, faults.injected(), faults.requests(), history, writes);
  }

  private static final int MAX_LOCK_AT_MOST_MILLIS = 8000;

  /**
   * A node's clock. Client time: offset and drift keep it within the clock bound of ground truth for the whole
   * run. Server time: minutes off (the store's clock decides), drifting up to 100 ppm.
   */
  private InstantSource nodeClock(Random r, long end) {
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
    return () -> Timeline.EPOCH.plusNanos(time.nanos() + offset + (long) (time.nanos() * drift));
  }

  /** A node: runs incarnations until the simulation stops it; a crash ends one, a restart begins the next. */
  private void live(int node, Random r, InstantSource clock) {
    NodeClocks.bind(clock);
    for (int incarnation = 0; ; incarnation++) {
      SimHttpClient http = new SimHttpClient(store, time, faults, node);
      S3Client s3 = s3Client(http);
      TimeMode mode = config.serverTime() ? TimeMode.SERVER : TimeMode.CLIENT;
      String name = "node-" + node + "." + incarnation;
      NodeLocks locks = node % 2 == 0
          // ShedLock's clock (the provider's default) is this node's clock: see NodeClocks.
          ? NodeLocks.shedLock(S3LockProvider.builder().s3Client(s3).bucket(BUCKET).keyPrefix(PREFIX).lockedBy(name)
              .timeMode(mode).build(), clock)
          : NodeLocks.core(S3LockClient.builder().s3Client(s3).bucket(BUCKET).keyPrefix(PREFIX).lockedBy(name)
              .timeMode(mode).clock(clock).build(), clock);
      work(node, r, locks);
      http.crash();
      time.sleep(Timeline.millis(500 + r.nextInt(5000))); // down until restarted
    }
  }

  /** Lock cycles until this incarnation crashes. */
  private void work(int node, Random r, NodeLocks locks) {
    while (true) {
      time.sleep(Timeline.millis(r.nextInt(1500)));
      String name = "job-" + r.nextInt(config.locks());
      Duration atMost = Duration.ofMillis(2000 + r.nextInt(MAX_LOCK_AT_MOST_MILLIS - 2000));
      Duration atLeast = r.nextDouble() < 0.2 ? Duration.ofMillis(r.nextInt(1500)) : Duration.ZERO;
      History.Call acquire = history.begin(node, name, History.Kind.ACQUIRE);
      Optional<NodeLocks.Held> held;
      try {
        held = locks.acquire(name, atMost, atLeast);
        history.end(acquire, held.isPresent() ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE);
      } catch (RuntimeException e) {
        history.threw(acquire, e);
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
      if (roll < config.crashRate() + config.pauseRate()) {
        // A stall past the lease: the holder does not know that its lock may have been taken meanwhile.
        time.sleep(atMost.toNanos() + Timeline.millis(r.nextInt(3000)));
      } else {
        time.sleep((long) (atMost.toNanos() * 0.7 * r.nextDouble()));
        if (r.nextDouble() < config.extendRate()) {
          Duration longer = Duration.ofMillis(2000 + r.nextInt(MAX_LOCK_AT_MOST_MILLIS - 2000));
          History.Call extend = history.begin(node, name, History.Kind.EXTEND);
          history.extending(holding, extend);
          try {
            Optional<NodeLocks.Held> extended = lock.extend(longer);
            history.end(extend, extended.isPresent() ? History.Outcome.SUCCESS : History.Outcome.NEGATIVE);
            if (extended.isEmpty()) {
              history.workEnded(holding); // the lock is no longer ours: stop, nothing to unlock
              continue;
            }
            history.extended(holding, extend);
            lock = extended.get();
            time.sleep((long) (longer.toNanos() * 0.7 * r.nextDouble()));
          } catch (RuntimeException e) {
            history.threw(extend, e);
          }
        }
      }
      history.workEnded(holding);
      History.Call release = history.begin(node, name, History.Kind.RELEASE);
      try {
        history.end(release, lock.release());
      } catch (RuntimeException e) {
        history.threw(release, e);
      }
    }
  }

  /**
   * The real S3 client over the simulated network. SDK retries stay on (3 attempts, as by default: they are
   * what turns a lost response into a 412 for our own write), but without backoff, which would sleep in real
   * time; no signing (anonymous), which costs time and proves nothing here.
   */
  static S3Client s3Client(SimHttpClient http) {
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
