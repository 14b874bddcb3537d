package io.github.s3lock.shedlock;

import static java.time.Duration.ZERO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.FaultInjector.Fault;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.support.KeepAliveLockProvider;
import net.javacrumbs.shedlock.support.LockException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * ShedLock's LockProvider contract, checked against a real S3 store (one subclass per store), with ShedLock's
 * own {@link LockConfiguration} and {@link ClockProvider}. Every test has its own bucket and lock names.
 */
abstract class AbstractS3LockProviderContractTest {

  private static final Duration LONG = Duration.ofSeconds(30);
  private static final Duration SHORT = Duration.ofMillis(100);
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  private final List<S3Client> clients = new ArrayList<>();
  private RequestCounter counter;
  private S3Client s3;
  private String bucket;

  /** The store under test. */
  protected abstract TestStore store();

  @BeforeEach
  void createBucket() {
    counter = new RequestCounter();
    s3 = newClient(counter);
    bucket = store().newBucket(s3);
  }

  @AfterEach
  void closeClients() {
    clients.forEach(S3Client::close);
  }

  @Test
  void locksUnlocksAndLocksAgain() {
    S3LockProvider provider = provider();
    String name = uniqueName();

    SimpleLock first = provider.lock(config(name, LONG, ZERO)).orElseThrow();
    first.unlock();
    SimpleLock second = provider.lock(config(name, LONG, ZERO)).orElseThrow();
    second.unlock();

    assertThat(otherNode().lock(config(name, LONG, ZERO))).isPresent();
  }

  @Test
  void heldLockIsRefusedToEveryoneIncludingItsHolder() {
    S3LockProvider provider = provider();
    S3LockProvider other = otherNode();
    String name = uniqueName();

    SimpleLock lock = provider.lock(config(name, LONG, ZERO)).orElseThrow();

    assertThat(provider.lock(config(name, LONG, ZERO))).isEmpty();
    assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();
    lock.unlock();
    assertThat(other.lock(config(name, LONG, ZERO))).isPresent();
  }

  @Test
  void lockAtMostForExpiryFreesTheLock() {
    S3LockProvider other = otherNode();
    String name = uniqueName();
    provider().lock(config(name, SHORT, ZERO)).orElseThrow();

    AtomicReference<SimpleLock> taken = new AtomicReference<>();
    await().atMost(PATIENCE).until(() -> tryLock(other, config(name, LONG, ZERO), taken));

    assertThat(provider().lock(config(name, LONG, ZERO))).isEmpty();
  }

  @Test
  void lockAtLeastForKeepsTheLockAfterUnlock() {
    S3LockProvider provider = provider();
    S3LockProvider other = warmedUp(otherNode());
    String name = uniqueName();

    MovableClock clock = installShedLockClock();
    try {
      provider.lock(config(name, LONG, Duration.ofSeconds(10))).orElseThrow().unlock();

      assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();
      assertThat(provider.lock(config(name, LONG, ZERO))).isEmpty();
      clock.advance(Duration.ofSeconds(10));
      assertThat(other.lock(config(name, LONG, ZERO))).isPresent();
    } finally {
      ClockProvider.setClock(Clock.systemUTC());
    }
  }

  @Test
  void extendWhileHeldMovesLockUntilAndSpendsTheOldLock() {
    S3LockProvider provider = provider();
    S3LockProvider other = otherNode();
    String name = uniqueName();
    SimpleLock lock = provider.lock(config(name, LONG, ZERO)).orElseThrow();

    SimpleLock extended = lock.extend(Duration.ofMinutes(5), ZERO).orElseThrow();

    assertThat(record(name).lockUntil()).isAfter(ClockProvider.now().plus(Duration.ofMinutes(4)));
    assertThatThrownBy(lock::unlock).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> lock.extend(LONG, ZERO)).isInstanceOf(IllegalStateException.class);
    assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();

    extended.unlock();
    assertThatThrownBy(extended::unlock).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> extended.extend(LONG, ZERO)).isInstanceOf(IllegalStateException.class);
    assertThat(other.lock(config(name, LONG, ZERO))).isPresent();
  }

  @Test
  void extendAfterExpiryFailsAndLeavesTheLockFree() {
    S3LockProvider provider = provider();
    String name = uniqueName();
    LockConfiguration config = config(name, SHORT, ZERO);
    SimpleLock lock = provider.lock(config).orElseThrow();
    await().atMost(PATIENCE).until(() -> ClockProvider.now().isAfter(config.getLockAtMostUntil()));

    assertThat(lock.extend(LONG, ZERO)).isEmpty();

    assertThatThrownBy(lock::unlock).isInstanceOf(IllegalStateException.class);
    assertThat(otherNode().lock(config(name, LONG, ZERO))).isPresent();
  }

  @Test
  void oldHolderCannotReleaseALockTakenOverAfterExpiry() {
    S3LockProvider provider = provider();
    S3LockProvider other = otherNode();
    String name = uniqueName();
    SimpleLock old = provider.lock(config(name, SHORT, ZERO)).orElseThrow();
    AtomicReference<SimpleLock> taken = new AtomicReference<>();
    await().atMost(PATIENCE).until(() -> tryLock(other, config(name, LONG, ZERO), taken));

    old.unlock();

    assertThat(provider.lock(config(name, LONG, ZERO))).isEmpty();
    assertThat(otherNode().lock(config(name, LONG, ZERO))).isEmpty();
    assertThat(record(name).token()).isEqualTo(((S3SimpleLock) taken.get()).fencingToken());
  }

  /**
   * A node whose clock runs ahead takes over a lock that its holder still believes it holds: the holder's
   * extend and unlock then reach S3 (its lease has not expired by its own clock) and must fail there.
   */
  @Test
  void oldHolderCannotExtendOrReleaseALockTakenOverByANodeWhoseClockRunsAhead() {
    S3LockProvider provider = provider();
    Duration skew = Duration.ofMinutes(5);
    S3LockProvider ahead = S3LockProvider.builder().s3Client(newClient()).bucket(bucket)
        .clock(() -> ClockProvider.now().plus(skew)).build();
    String extended = uniqueName();
    String released = uniqueName();

    SimpleLock oldExtended = provider.lock(config(extended, LONG, ZERO)).orElseThrow();
    SimpleLock oldReleased = provider.lock(config(released, LONG, ZERO)).orElseThrow();
    ahead.lock(new LockConfiguration(ClockProvider.now().plus(skew), extended, LONG, ZERO)).orElseThrow();
    SimpleLock newReleased = ahead.lock(new LockConfiguration(ClockProvider.now().plus(skew), released, LONG,
        ZERO)).orElseThrow();

    assertThat(oldExtended.extend(LONG, ZERO)).isEmpty();
    oldReleased.unlock();

    assertThat(record(released).token()).isEqualTo(((S3SimpleLock) newReleased).fencingToken());
    assertThat(provider.lock(config(extended, LONG, ZERO))).isEmpty();
    assertThat(provider.lock(config(released, LONG, ZERO))).isEmpty();
  }

  @Test
  void lockObjectDeletedBehindOurBackIsCreatedAgain() {
    S3LockProvider provider = provider();
    String name = uniqueName();
    S3SimpleLock first = (S3SimpleLock) provider.lock(config(name, LONG, ZERO)).orElseThrow();
    first.unlock();

    s3.deleteObject(b -> b.bucket(bucket).key(S3LockProvider.DEFAULT_KEY_PREFIX + name));
    S3SimpleLock second = (S3SimpleLock) provider.lock(config(name, LONG, ZERO)).orElseThrow();

    assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
    assertThat(record(name).token()).isEqualTo(second.fencingToken());
    assertThat(otherNode().lock(config(name, LONG, ZERO))).isEmpty();
  }

  @Test
  void eachOperationCostsTheCoresRequestBudget() {
    S3LockProvider provider = warmedUp(provider());
    RequestCounter otherCounter = new RequestCounter();
    S3LockProvider other = warmedUp(new S3LockProvider(newClient(otherCounter), bucket));
    String name = uniqueName();

    counter.reset();
    SimpleLock lock = provider.lock(config(name, LONG, ZERO)).orElseThrow();
    assertThat(counter.byMethod()).as("lock a new name").isEqualTo(Map.of("PUT", 1));

    counter.reset();
    lock = lock.extend(LONG, ZERO).orElseThrow();
    assertThat(counter.byMethod()).as("extend").isEqualTo(Map.of("PUT", 1));

    assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();
    otherCounter.reset();
    assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();
    assertThat(otherCounter.byMethod()).as("held by another node, warm").isEqualTo(Map.of("GET", 1));

    counter.reset();
    lock.unlock();
    assertThat(counter.byMethod()).as("unlock").isEqualTo(Map.of("PUT", 1));

    counter.reset();
    provider.lock(config(name, LONG, ZERO)).orElseThrow().unlock();
    assertThat(counter.byMethod()).as("lock a released name, then unlock").isEqualTo(Map.of("PUT", 2));
  }

  /**
   * ShedLock accepts any non-empty name (it refuses the empty one itself, before a provider sees it). Each must
   * become exactly one object directly under the key prefix, at the key docs/protocol.md gives, whatever the name
   * contains, and its record must carry the name as given.
   */
  @Test
  void aNameWithSlashesDotsAndNonAsciiIsOneObjectDirectlyUnderThePrefix() {
    S3LockProvider provider = warmedUp(provider());
    String id = uniqueName();
    String name = "../" + id + "/daily report é";
    List<String> before = keysUnderThePrefix();

    SimpleLock lock = provider.lock(config(name, LONG, ZERO)).orElseThrow();

    List<String> added = new ArrayList<>(keysUnderThePrefix());
    added.removeAll(before);
    assertThat(added)
        .containsExactly(S3LockProvider.DEFAULT_KEY_PREFIX + "%2E.%2F" + id + "%2Fdaily%20report%20%C3%A9");
    assertThat(record(name).name()).isEqualTo(name);
    assertThat(otherNode().lock(config(name, LONG, ZERO))).isEmpty();
    lock.unlock();
    assertThat(otherNode().lock(config(name, LONG, ZERO))).isPresent();
  }

  @Test
  void badInputIsRefusedWithAMessageThatNamesIt() {
    S3LockProvider provider = provider();

    assertThatThrownBy(() -> provider.lock(config("x".repeat(2000), LONG, ZERO)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too long");

    String missing = "s3lock-missing-" + UUID.randomUUID().toString().substring(0, 8);
    S3LockProvider nowhere = new S3LockProvider(s3, missing);
    assertThatThrownBy(() -> nowhere.lock(config(uniqueName(), LONG, ZERO)))
        .isInstanceOf(LockException.class)
        .hasMessageContaining(missing);
  }

  @Test
  void worksUnderKeepAliveLockProvider() throws InterruptedException {
    FastKeepAliveExecutor executor = new FastKeepAliveExecutor();
    try {
      KeepAliveLockProvider keepAlive = new KeepAliveLockProvider(provider(), executor);
      S3LockProvider other = otherNode();
      String name = uniqueName();
      SimpleLock lock = keepAlive.lock(config(name, LONG, ZERO)).orElseThrow();
      LockRecord first = record(name);

      await().atMost(PATIENCE).until(() -> record(name).lockUntil().isAfter(first.lockUntil()));

      assertThat(record(name).token()).as("extended, not re-acquired").isEqualTo(first.token());
      assertThat(other.lock(config(name, LONG, ZERO))).isEmpty();
      executor.pause();
      lock.unlock();
      assertThat(other.lock(config(name, LONG, ZERO))).isPresent();
    } finally {
      executor.shutdownNow();
      executor.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * One extension round of the core is 3 conditional writes (each with the SDK's own retries) before it reports
   * S3 unavailable. The faults fail a whole round and the first write of the next: the keep-alive must go on
   * extending, and nobody may take the lock meanwhile.
   */
  @Test
  void keepAliveOutlivesAnExtensionRoundThatS3Failed() throws InterruptedException {
    FaultInjector faults = new FaultInjector();
    S3LockProvider provider = warmedUp(new S3LockProvider(newClient(faults), bucket));
    S3LockProvider other = otherNode();
    FastKeepAliveExecutor executor = new FastKeepAliveExecutor();
    try {
      KeepAliveLockProvider keepAlive = new KeepAliveLockProvider(provider, executor);
      String name = uniqueName();
      LockConfiguration config = config(name, LONG, ZERO);
      executor.pause(); // so that the first extension meets the faults
      SimpleLock lock = keepAlive.lock(config).orElseThrow();
      LockRecord first = record(name);
      for (int i = 0; i < 4; i++) {
        faults.next(Fault.NOT_APPLIED_503);
      }
      executor.resume();

      await().atMost(Duration.ofSeconds(60)).until(() -> faults.injected() >= 3);
      assertThat(other.lock(config(name, LONG, ZERO))).as("taken during the outage").isEmpty();
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(record(name).lockUntil()).as("lockUntil in S3, past the first lockAtMostUntil")
            .isAfter(config.getLockAtMostUntil());
        assertThat(faults.pending()).as("faults not yet met").isZero();
      });
      LockRecord extended = record(name);
      await().atMost(PATIENCE).until(() -> record(name).lockUntil().isAfter(extended.lockUntil()));

      assertThat(record(name).token()).as("extended, not re-acquired").isEqualTo(first.token());
      assertThat(other.lock(config(name, LONG, ZERO))).as("taken after the outage").isEmpty();
      assertThat(executor.thrown()).isEmpty();
      executor.pause();
      lock.unlock();
      assertThat(other.lock(config(name, LONG, ZERO))).isPresent();
    } finally {
      executor.shutdownNow();
      executor.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * S3 fails every write from the first extension on: the extension keeps trying while the lease lasts (its
   * pauses move ShedLock's frozen clock), then reports "not extended" with a warning, and the keep-alive stops
   * the way KeepAliveLockProvider stops, by cancelling itself, not by an exception that kills its executor.
   */
  @Test
  void keepAliveStopsWithAWarningWhenS3FailsUntilTheLeaseIsGone() throws InterruptedException {
    MovableClock clock = installShedLockClock();
    CapturedWarnings warnings = CapturedWarnings.of(S3SimpleLock.class);
    FastKeepAliveExecutor executor = new FastKeepAliveExecutor();
    try {
      FaultInjector faults = new FaultInjector();
      // SDK retries off: about 20 rounds of 3 writes each, with the SDK's back-off on 503, would take minutes.
      S3Client failing = store().clientBuilder()
          .overrideConfiguration(o -> o.addExecutionInterceptor(faults).retryStrategy(r -> r.maxAttempts(1)))
          .build();
      clients.add(failing);
      S3LockProvider provider = warmedUp(S3LockProvider.builder().s3Client(failing).bucket(bucket)
          .extendRetryPause(nanos -> clock.advance(Duration.ofNanos(nanos))).build());
      KeepAliveLockProvider keepAlive = new KeepAliveLockProvider(provider, executor);
      String name = uniqueName();
      LockConfiguration config = config(name, LONG, ZERO);
      executor.pause();
      keepAlive.lock(config).orElseThrow();
      LockRecord first = record(name);
      for (int i = 0; i < 200; i++) {
        faults.next(Fault.NOT_APPLIED_503);
      }
      executor.resume();

      await().atMost(PATIENCE).until(() -> executor.keepAlive().isDone());

      assertThat(executor.thrown()).isEmpty();
      assertThat(executor.keepAlive().isCancelled()).as("stopped by KeepAliveLockProvider").isTrue();
      assertThat(ClockProvider.now()).isAfterOrEqualTo(config.getLockAtMostUntil());
      assertThat(faults.injected()).as("writes failed: more than one round").isGreaterThan(3);
      assertThat(faults.pending()).as("faults left: it stopped for the lease, not for S3").isPositive();
      assertThat(record(name)).isEqualTo(first);
      assertThat(warnings.messages()).singleElement().asString()
          .contains("'" + name + "'", config.getLockAtMostUntil().toString(), "s3://" + bucket);
      assertThat(otherNode().lock(config(name, LONG, ZERO))).as("free once the lease is gone").isPresent();
    } finally {
      warnings.close();
      ClockProvider.setClock(Clock.systemUTC());
      executor.shutdownNow();
      executor.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void fencingTokenGrowsWithEveryAcquisitionAndIsVisibleToTheTask() throws Throwable {
    // A fresh thread: locks that other tests left held on the JUnit thread are visible there, by design.
    onFreshThread(this::fencingTokens);
  }

  @Test
  void fencingTokenIsGoneOnceTheLockExpired() throws Throwable {
    onFreshThread(() -> {
      S3LockProvider provider = warmedUp(provider());
      MovableClock clock = installShedLockClock();
      try {
        LockConfiguration config = config(uniqueName(), LONG, ZERO);
        S3SimpleLock lock = (S3SimpleLock) provider.lock(config).orElseThrow();
        assertThat(S3LockProvider.currentFencingToken()).hasValue(lock.fencingToken());
        clock.advance(LONG);
        assertThat(S3LockProvider.currentFencingToken()).isEmpty();
      } finally {
        ClockProvider.setClock(Clock.systemUTC());
      }
    });
  }

  private void fencingTokens() throws Throwable {
    LockingTaskExecutor[] nodes = {
        new DefaultLockingTaskExecutor(provider()), new DefaultLockingTaskExecutor(otherNode())};
    String name = uniqueName();
    String inner = uniqueName();
    List<Long> tokens = new ArrayList<>();
    List<OptionalLong> seenElsewhere = new ArrayList<>();

    for (int i = 0; i < 6; i++) {
      nodes[i % 2].executeWithLock((LockingTaskExecutor.Task) () -> {
        long token = S3LockProvider.currentFencingToken().orElseThrow();
        tokens.add(token);
        nodes[0].executeWithLock((LockingTaskExecutor.Task) () -> {
          assertThat(S3LockProvider.currentFencingToken(name)).hasValue(token);
          assertThat(S3LockProvider.currentFencingToken()).isEqualTo(S3LockProvider.currentFencingToken(inner));
        }, config(inner, LONG, ZERO));
        assertThat(S3LockProvider.currentFencingToken()).hasValue(token);
        Thread elsewhere = new Thread(() -> seenElsewhere.add(S3LockProvider.currentFencingToken()));
        elsewhere.start();
        elsewhere.join();
      }, config(name, LONG, ZERO));
    }

    assertThat(tokens).hasSize(6);
    for (int i = 1; i < tokens.size(); i++) {
      assertThat(tokens.get(i)).as("token %d of %s", i, tokens).isGreaterThan(tokens.get(i - 1));
    }
    assertThat(seenElsewhere).hasSize(6).allMatch(OptionalLong::isEmpty);
    assertThat(S3LockProvider.currentFencingToken()).isEmpty();
    assertThat(S3LockProvider.currentFencingToken(inner)).isEmpty();
  }

  /**
   * Two nodes (separate S3 clients), 8 threads each, two lock names: every critical section does a plain
   * read-increment-write of a shared counter and records its interval. A lock that ever admitted two holders at
   * once loses increments or shows overlapping intervals.
   */
  @Test
  void fuzzNoTwoHoldersAtOnce() throws InterruptedException {
    long seed = System.nanoTime();
    S3LockProvider[] nodes = {new S3LockProvider(newClient(), bucket), new S3LockProvider(newClient(), bucket)};
    String[] names = {uniqueName(), uniqueName()};
    int threadsPerNode = 8;
    int attemptsPerThread = 20;
    int[] counters = new int[names.length];
    AtomicInteger[] acquisitions = {new AtomicInteger(), new AtomicInteger()};
    List<Queue<long[]>> intervals = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>());
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();

    for (int t = 0; t < threadsPerNode * nodes.length; t++) {
      S3LockProvider node = nodes[t % nodes.length];
      Random random = new Random(seed + t);
      Thread thread = new Thread(() -> {
        try {
          start.await();
          for (int attempt = 0; attempt < attemptsPerThread; attempt++) {
            int n = random.nextInt(names.length);
            Optional<SimpleLock> lock = node.lock(config(names[n], Duration.ofSeconds(5), ZERO));
            if (lock.isEmpty()) {
              continue;
            }
            long begin = System.nanoTime();
            int value = counters[n];
            Thread.yield(); // widen the window in which a second holder would lose an update
            counters[n] = value + 1;
            long end = System.nanoTime();
            intervals.get(n).add(new long[] {begin, end});
            acquisitions[n].incrementAndGet();
            lock.get().unlock();
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "fuzz-" + t);
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(Duration.ofMinutes(2).toMillis());
    }

    assertThat(threads).as("seed %d", seed).noneMatch(Thread::isAlive);
    assertThat(failures).as("seed %d", seed).isEmpty();
    for (int n = 0; n < names.length; n++) {
      assertThat(acquisitions[n].get()).as("acquisitions of %s, seed %d", names[n], seed).isGreaterThan(10);
      assertThat(counters[n]).as("increments of %s, seed %d", names[n], seed).isEqualTo(acquisitions[n].get());
      List<long[]> sorted = new ArrayList<>(intervals.get(n));
      sorted.sort(Comparator.comparingLong(i -> i[0]));
      for (int i = 1; i < sorted.size(); i++) {
        assertThat(sorted.get(i)[0]).as("interval %d of %s starts after the previous ended, seed %d", i,
            names[n], seed).isGreaterThan(sorted.get(i - 1)[1]);
      }
    }
  }

  private S3Client newClient(ExecutionInterceptor... interceptors) {
    S3Client client = store().newClient(interceptors);
    clients.add(client);
    return client;
  }

  private S3LockProvider provider() {
    return new S3LockProvider(s3, bucket);
  }

  /** Another node: its own S3 client, and so its own connections and cache of what it saw. */
  private S3LockProvider otherNode() {
    return new S3LockProvider(newClient(), bucket);
  }

  /** Runs the provider's one-time conformance probe, so that later requests are only the lock's. */
  private static S3LockProvider warmedUp(S3LockProvider provider) {
    provider.lock(config(uniqueName(), LONG, ZERO)).orElseThrow().unlock();
    return provider;
  }

  private List<String> keysUnderThePrefix() {
    return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(S3LockProvider.DEFAULT_KEY_PREFIX)).contents()
        .stream().map(S3Object::key).toList();
  }

  private LockRecord record(String name) {
    S3LockClient reader = S3LockClient.builder().s3Client(s3).bucket(bucket)
        .keyPrefix(S3LockProvider.DEFAULT_KEY_PREFIX).probe(false).build();
    return reader.read(name).orElseThrow();
  }

  private interface Body {
    void run() throws Throwable;
  }

  private static void onFreshThread(Body body) throws Throwable {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "fresh");
    thread.start();
    thread.join();
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  private static boolean tryLock(S3LockProvider provider, LockConfiguration config, AtomicReference<SimpleLock> to) {
    provider.lock(config).ifPresent(to::set);
    return to.get() != null;
  }

  /**
   * ShedLock's clock, frozen now and moved by the test: expiry is then decided by the test, not by how fast a
   * loaded machine runs. Callers put the system clock back in {@code finally}.
   */
  private static MovableClock installShedLockClock() {
    MovableClock clock = MovableClock.frozenAt(Instant.now());
    ClockProvider.setClock(clock);
    return clock;
  }

  private static LockConfiguration config(String name, Duration lockAtMostFor, Duration lockAtLeastFor) {
    return new LockConfiguration(ClockProvider.now(), name, lockAtMostFor, lockAtLeastFor);
  }

  private static String uniqueName() {
    return "job-" + UUID.randomUUID();
  }

  /**
   * Runs KeepAliveLockProvider's extensions 100 times sooner (it refuses lockAtMostFor under 30 s and extends
   * every half period), can pause them (a paused run does nothing; pausing waits for a running one to finish),
   * and records what a run threw: the executor would otherwise swallow it and silently cancel the keep-alive.
   */
  private static final class FastKeepAliveExecutor extends ScheduledThreadPoolExecutor {
    private final Object gate = new Object();
    private final Queue<Throwable> thrown = new ConcurrentLinkedQueue<>();
    private final AtomicReference<ScheduledFuture<?>> keepAlive = new AtomicReference<>();
    private boolean paused;

    FastKeepAliveExecutor() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period,
        TimeUnit unit) {
      Runnable gated = () -> {
        synchronized (gate) {
          if (paused) {
            return;
          }
          try {
            command.run();
          } catch (RuntimeException | Error e) {
            thrown.add(e);
            throw e;
          }
        }
      };
      ScheduledFuture<?> future = super.scheduleAtFixedRate(gated, unit.toMillis(initialDelay) / 100,
          unit.toMillis(period) / 100, TimeUnit.MILLISECONDS);
      keepAlive.set(future);
      return future;
    }

    void pause() {
      synchronized (gate) {
        paused = true;
      }
    }

    void resume() {
      synchronized (gate) {
        paused = false;
      }
    }

    /** What the keep-alive's runs threw: KeepAliveLockProvider catches nothing. */
    Queue<Throwable> thrown() {
      return thrown;
    }

    /** The last keep-alive scheduled: cancelled once KeepAliveLockProvider stops extending by itself. */
    ScheduledFuture<?> keepAlive() {
      return keepAlive.get();
    }
  }
}
