package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.quartz.S3Semaphore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quartz.impl.jdbcjobstore.LockException;

/**
 * The real Quartz lock handler {@link S3Semaphore} over the in-memory S3 with faults. It renews its leases on
 * its own thread and waits with real sleeps, so this run uses real threads and real time (the store is
 * synchronized, hence still atomic): four nodes, two threads each, taking Quartz's two locks; nodes stall past
 * their lease (the renewer stalls with them) or crash (stop renewing and releasing) and restart. Same checker,
 * same invariants.
 *
 * <p>The seed ({@link Seeds}) fixes the faults drawn and each node's choices, not the run: real threads
 * interleave differently every time, so a failure is not replayed by its seed. Its violation text is the record.
 */
class QuartzSimulationTest {

  private static final long SEED = Seeds.base();
  private static final String[] LOCKS = {"TRIGGER_ACCESS", "STATE_ACCESS"};
  private static final long RUN_MILLIS = 15_000;

  @ParameterizedTest(name = "{0} time")
  @ValueSource(strings = {"CLIENT", "SERVER"})
  void s3SemaphoreKeepsTheInvariantsUnderFaults(String timeMode) throws InterruptedException {
    RealTimeline time = new RealTimeline();
    Random seeds = new Random(SEED);
    boolean server = timeMode.equals("SERVER");
    FaultPlan faults = new FaultPlan(new Random(seeds.nextLong()), FaultPlan.Rates.hostile(server ? 450 : 1500));
    InMemoryS3 store = new InMemoryS3(time, server ? Duration.ofSeconds(17) : Duration.ZERO);
    store.createBucket(Simulation.BUCKET);
    History history = new History(time);
    long end = Timeline.millis(RUN_MILLIS);
    List<Thread> threads = new ArrayList<>();
    for (int node = 0; node < 4; node++) {
      int n = node;
      long nodeSeed = seeds.nextLong();
      Thread t = new Thread(() -> node(n, new Random(nodeSeed), time, faults, store, history, timeMode, end),
          "quartz-node-" + n);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    Checker.Setup setup = new Checker.Setup(time.start(), true, server, Timeline.millis(5),
        Duration.ofSeconds(17).toNanos() * (server ? 1 : 0), 1000 * 1_000_000L, end, Simulation.BUCKET,
        node -> Set.of(LockException.class), faults.faultedCalls(), faults.interruptedCalls(), Timeline.millis(5));
    Checker.Verdict verdict = Checker.check(setup, history, store.writes());
    System.out.printf("Quartz S3Semaphore, %s time, seed %d: %d lock cycles, %d requests, %d crashes, faults %s,"
        + " exceptions %s, violations %d%n", timeMode, SEED, verdict.acquisitions(), faults.requests(),
        verdict.crashes(), faults.injected(), verdict.exceptions(), verdict.violationCount());
    assertThat(verdict.violations()).as("%s time, seed %d (real threads: not replayable)", timeMode, SEED).isEmpty();
    // Server time adds a one-second margin to every takeover, so that mode completes far fewer cycles.
    assertThat(verdict.acquisitions()).as("lock cycles").isGreaterThan(20);
  }

  /** One node: two scheduler threads sharing one S3Semaphore, as in a Quartz scheduler, restarted after a crash. */
  private static void node(int node, Random r, RealTimeline time, FaultPlan faults, InMemoryS3 store,
      History history, String timeMode, long end) {
    while (time.nanos() < end) {
      SimHttpClient http = new SimHttpClient(store, time, faults, node);
      S3Semaphore semaphore = new S3Semaphore(Simulation.s3Client(http));
      semaphore.setBucket(Simulation.BUCKET);
      semaphore.setLeaseMillis(1000);
      semaphore.setAcquireTimeoutMillis(4000);
      semaphore.setMaxRetryIntervalMillis(100);
      semaphore.setTimeMode(timeMode);
      semaphore.setLockedBy("node-" + node);
      long workerSeed = r.nextLong();
      Thread other = new Thread(() -> work(node, new Random(workerSeed), time, http, semaphore, history, end));
      other.start();
      work(node, r, time, http, semaphore, history, end);
      http.crash();
      try {
        other.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      time.sleep(Timeline.millis(200 + r.nextInt(800))); // down until restarted
    }
  }

  /** Lock cycles until the node crashes (returns then) or the run ends. */
  private static void work(int node, Random r, RealTimeline time, SimHttpClient http, S3Semaphore semaphore,
      History history, long end) {
    while (time.nanos() < end && !http.crashed()) {
      String name = LOCKS[r.nextInt(LOCKS.length)];
      History.Call acquire = history.begin(node, name, History.Kind.ACQUIRE);
      try {
        semaphore.obtainLock(null, name);
        history.end(acquire, History.Outcome.SUCCESS);
      } catch (LockException e) {
        history.threw(acquire, e);
        continue;
      }
      History.Holding holding = history.holding(acquire);
      double roll = r.nextDouble();
      if (roll < 0.005) {
        history.crashed(holding);
        http.crash(); // the process is gone: no renewal, no release
        return;
      }
      if (roll < 0.015) {
        // A stall of the whole process past its lease: its renewer is frozen too.
        long stall = Timeline.millis(1500 + r.nextInt(1000));
        http.stallUntil(time.nanos() + stall);
        time.sleep(stall);
      } else {
        time.sleep(Timeline.millis(r.nextInt(30)));
      }
      history.workEnded(holding);
      History.Call release = history.begin(node, name, History.Kind.RELEASE);
      semaphore.releaseLock(name);
      history.end(release, History.Outcome.UNREPORTED);
      time.sleep(Timeline.millis(r.nextInt(20)));
    }
  }
}
