package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.quartz.QuartzTestHooks;
import io.github.s3lock.quartz.S3Semaphore;
import java.io.IOException;


import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quartz.impl.jdbcjobstore.LockException;




import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;


import software.amazon.awssdk.services.s3.S3Client;

/**
 * The real Quartz lock handler {@link S3Semaphore} over the in-memory S3 with faults. It renews its leases on
 * its own thread and waits with real sleeps, so this run uses real threads and real time (the store is
 * synchronized, hence still atomic): four nodes, two threads each, taking Quartz's two locks; nodes stall past
 * their lease (the renewer stalls with them) or crash (stop renewing and releasing) and restart. Same checker,
 * same invariants, and {@link QuartzSections} for the sections that lease affinity starts without a request.
 * Nodes are also cut off from S3 for longer than a lease while their threads go on (a network partition): then the
 * sections they start on the lease they kept are what matters.
 * Each node incarnation draws its own affinity settings (off, or turns of 0.3 or 1 s, idle windows of 20 or 100
 * ms). With a one-second lease in server time, the store clock's uncertainty (its {@code Date} is whole seconds)
 * mostly leaves a kept lease less than the margin a section needs, so nearly every section goes to S3 there: the
 * four-second run covers affinity in server time.
 *
 * <p>The seed ({@link Seeds}) fixes the faults drawn and each node's choices, not the run: real threads
 * interleave differently every time, so a failure is not replayed by its seed. Its violation text is the record.
 */
class QuartzSimulationTest {

  private static final long SEED = Seeds.base();
  private static final String[] LOCKS = {"TRIGGER_ACCESS", "STATE_ACCESS"};
  private static final long RUN_MILLIS = 15_000;
  private static final long[] MAX_HOLDS = {0, 300, 1000};
  private static final long[] IDLES = {20, 100};

  /** Interrupts that reached a thread while it was in obtainLock (Quartz 2.5 interrupts at every shutdown). */
  private static final AtomicInteger INTERRUPTS = new AtomicInteger();
  /** obtainLock calls that an interrupt ended: none may, since the wait goes on as a row lock's does. */
  private static final AtomicInteger ENDED_BY_INTERRUPT = new AtomicInteger();
  private static final AtomicInteger SHUTDOWNS = new AtomicInteger();

  @ParameterizedTest(name = "{0} time, {1} ms lease")
  @CsvSource({"CLIENT, 1000", "SERVER, 1000", "SERVER, 4000"})
  void s3SemaphoreKeepsTheInvariantsUnderFaults(String timeMode, long leaseMillis) throws InterruptedException {
    RealTimeline time = new RealTimeline();
    INTERRUPTS.set(0);
    ENDED_BY_INTERRUPT.set(0);
    SHUTDOWNS.set(0);
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
      Thread t = new Thread(() -> node(n, new Random(nodeSeed), time, faults, store, history, timeMode,
          leaseMillis, end), "quartz-node-" + n);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    long serverOffset = Duration.ofSeconds(17).toNanos() * (server ? 1 : 0);
    var writes = store.writes();
    int localGrants = QuartzSections.markLocalGrants(history, writes);
    Checker.Setup setup = new Checker.Setup(time.start(), true, server, Timeline.millis(5), serverOffset,
        leaseMillis * 1_000_000L, end, Simulation.BUCKET, node -> Set.of(LockException.class), faults.faultedCalls(),
        faults.interruptedCalls(), Timeline.millis(5));
    Checker.Verdict verdict = Checker.check(setup, history, writes);
    QuartzSections.Verdict sections = QuartzSections.check(history, writes, time.start(), server, serverOffset,
        Timeline.millis(5), Timeline.millis(2 * (leaseMillis / 3)), end);
    System.out.printf("Quartz S3Semaphore, %s time, %d ms lease, seed %d: %d sections (%d on a kept lease), %d"
        + " requests, %d crashes, %d clean shutdowns, %d interrupts in obtainLock (%d ended it), faults %s,"
        + " exceptions %s, violations %d + %d%n", timeMode, leaseMillis, SEED, sections.sections(), localGrants,
        faults.requests(), verdict.crashes(), SHUTDOWNS.get(), INTERRUPTS.get(), ENDED_BY_INTERRUPT.get(),
        faults.injected(), verdict.exceptions(), verdict.violationCount(), sections.violations().size());
    assertThat(verdict.violations()).as("%s time, seed %d (real threads: not replayable)", timeMode, SEED).isEmpty();
    assertThat(sections.violations()).as("%s time, seed %d (real threads: not replayable)", timeMode, SEED)
        .isEmpty();
    // Server time adds a one-second margin to every takeover, so that mode completes far fewer cycles.
    assertThat(sections.sections()).as("lock cycles").isGreaterThan(20);
    assertThat(INTERRUPTS.get()).as("interrupts generated").isPositive();
    assertThat(ENDED_BY_INTERRUPT.get()).as("obtainLock calls an interrupt ended").isZero();
    if (!(server && leaseMillis < 3000)) {
      assertThat(localGrants).as("sections on a kept lease").isPositive();
    }
  }

  /** One node: two scheduler threads sharing one S3Semaphore, as in a Quartz scheduler, restarted after a crash. */
  private static void node(int node, Random r, RealTimeline time, FaultPlan faults, InMemoryS3 store,
      History history, String timeMode, long leaseMillis, long end) {
    while (time.nanos() < end) {
      SimHttpClient http = new SimHttpClient(store, time, faults, node);
      Partition partition = new Partition(http, time, node);
      S3Semaphore semaphore = new S3Semaphore(partition.s3Client());
      semaphore.setBucket(Simulation.BUCKET);
      semaphore.setLeaseMillis(leaseMillis);
      semaphore.setAffinityMaxHoldMillis(MAX_HOLDS[r.nextInt(MAX_HOLDS.length)]);
      semaphore.setAffinityIdleMillis(IDLES[r.nextInt(IDLES.length)]);
      semaphore.setAcquireTimeoutMillis(4000);
      semaphore.setMaxRetryIntervalMillis(100);
      semaphore.setTimeMode(timeMode);
      semaphore.setLockedBy("node-" + node);
      long workerSeed = r.nextLong();
      AtomicBoolean shutDown = new AtomicBoolean();
      Thread other = new Thread(() -> work(node, new Random(workerSeed), time, http, partition, semaphore, history,
          leaseMillis, end, shutDown, false));
      other.start();
      if (work(node, r, time, http, partition, semaphore, history, leaseMillis, end, shutDown, true)) {
        // A clean shutdown while the other thread may be waiting for a lock: it gets it within a turn, or gives
        // up taking nothing.
        SHUTDOWNS.incrementAndGet();
        shutDown.set(true);
        other.interrupt(); // As Quartz 2.5's halt() does.
        QuartzTestHooks.shutDown(semaphore);
        try {
          other.join(); // Its loop ends with the cycle it is in; the node then restarts as after a crash.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
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

  /** A node's S3 connection that can be cut (every request fails as a refused connection) for a while. */
  private static final class Partition implements SdkHttpClient {
    private final SimHttpClient http;
    private final RealTimeline time;
    private final int node;
    private volatile long until = Long.MIN_VALUE;

    Partition(SimHttpClient http, RealTimeline time, int node) {
      this.http = http;
      this.time = time;
      this.node = node;
    }

    void until(long nanos) {
      until = nanos;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
      if (time.nanos() < until) {
        return new ExecutableHttpRequest() {
          @Override
          public HttpExecuteResponse call() throws IOException {
            throw new IOException("simulated: S3 unreachable from node " + node + " (partition)");
          }

          @Override
          public void abort() {}
        };
      }
      return http.prepareRequest(request);
    }

    @Override
    public void close() {}

    /** As {@link Simulation#s3Client}, over this connection. */
    S3Client s3Client() {
      return Simulation.s3Client(this);
    }
  }

  /**
   * Lock cycles until the node crashes, shuts down or the run ends. True when this thread decided on a clean
   * shutdown (only {@code mayShutDown} threads do).
   */
  private static boolean work(int node, Random r, RealTimeline time, SimHttpClient http, Partition partition,
      S3Semaphore semaphore, History history, long leaseMillis, long end, AtomicBoolean shutDown,
      boolean mayShutDown) {
    while (time.nanos() < end && !http.crashed() && !shutDown.get()) {
      String name = LOCKS[r.nextInt(LOCKS.length)];
      History.Call acquire = history.begin(node, name, History.Kind.ACQUIRE);
      // Before the call (delay 0) or while it waits: most calls end within a few ms (a kept lease, a free lock).
      Interrupter interrupter = r.nextDouble() < 0.2 ? new Interrupter(time, r.nextInt(20)) : null;
      try {
        semaphore.obtainLock(null, name);
        history.end(acquire, History.Outcome.SUCCESS);
      } catch (LockException e) {
        history.threw(acquire, e);
        if (String.valueOf(e.getMessage()).contains("Interrupted")) {
          ENDED_BY_INTERRUPT.incrementAndGet();
        }
        continue;
      } finally {
        if (interrupter != null && interrupter.disarm()) {
          INTERRUPTS.incrementAndGet();
        }
        Thread.interrupted(); // Quartz's threads carry on after an interrupt they did not ask for.
      }
      History.Holding holding = history.holding(acquire);
      double roll = r.nextDouble();
      if (roll < 0.005) {
        history.crashed(holding);
        http.crash(); // the process is gone: no renewal, no release
        return false;
      }
      if (roll < 0.01) {
        // Cut off from S3 for longer than a lease, while this node's threads go on working.
        partition.until(time.nanos() + Timeline.millis(leaseMillis * 3 / 2 + r.nextInt((int) leaseMillis)));
      }
      if (roll >= 0.005 && roll < 0.015) {
        // A stall of the whole process past its lease: its renewer is frozen too.
        long stall = Timeline.millis(leaseMillis * 3 / 2 + r.nextInt((int) leaseMillis));
        http.stallUntil(time.nanos() + stall);
        time.sleep(stall);
      } else {
        time.sleep(Timeline.millis(r.nextInt(30)));
      }
      history.workEnded(holding);
      History.Call release = history.begin(node, name, History.Kind.RELEASE);
      semaphore.releaseLock(name);
      history.end(release, History.Outcome.UNREPORTED);
      if (mayShutDown && r.nextDouble() < 0.03) {
        return true;
      }
      time.sleep(Timeline.millis(r.nextInt(20)));
    }
    return false;
  }

  /** Interrupts the calling thread after a delay, unless disarmed first; as Quartz's halt() does, at any moment. */
  private static final class Interrupter {
    private final Thread target = Thread.currentThread();
    private boolean armed = true; // guarded by this
    private boolean fired; // guarded by this

    Interrupter(RealTimeline time, int delayMillis) {
      if (delayMillis == 0) {
        fire();
      } else {
        time.later("interrupter", Timeline.millis(delayMillis), this::fire);
      }
    }

    private synchronized void fire() {
      if (armed) {
        fired = true;
        target.interrupt();
      }
    }

    /** Stops it; true when the interrupt had been delivered (during the call). */
    synchronized boolean disarm() {
      armed = false;
      return fired;
    }
  }
}
