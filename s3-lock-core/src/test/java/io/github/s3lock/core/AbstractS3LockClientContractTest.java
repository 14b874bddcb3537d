package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.FaultInjector.Fault;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The protocol's contract, run against every store we support (one subclass per store). Two "nodes" are two
 * {@link S3LockClient}s with their own S3 clients and caches; time is a {@link MovableClock} moved by hand, so
 * expiry needs no sleeping, and request counts are exact.
 */
abstract class AbstractS3LockClientContractTest {

  private static final Duration MINUTE = Duration.ofMinutes(1);
  /** Where the test clocks start: years away from any store's clock, so that only the test moves time. */
  private static final Instant FAR_OFF = Instant.parse("2030-01-01T00:00:00Z");

  protected abstract TestStore store();

  /** What the conformance probe must find on this store. */
  protected abstract StoreDialect expectedDialect();

  private final MovableClock clock = MovableClock.frozenAt(FAR_OFF);
  private final RequestCounter requestsA = new RequestCounter();
  private final RequestCounter requestsB = new RequestCounter();
  private final FaultInjector faultsA = new FaultInjector();
  private S3Client s3A;
  private S3Client s3B;
  private String bucket;
  private S3LockClient nodeA;
  private S3LockClient nodeB;

  @BeforeEach
  void setUp() {
    s3A = store().newClient(requestsA, faultsA);
    s3B = store().newClient(requestsB);
    bucket = store().newBucket(s3A);
    nodeA = node(s3A, "node-a");
    nodeB = node(s3B, "node-b");
    // The first lock runs the probe: request counts below are those of the lock operations alone.
    nodeA.tryAcquire("warm-up", later(MINUTE));
    nodeB.tryAcquire("warm-up", later(MINUTE));
    requestsA.reset();
    requestsB.reset();
  }

  @AfterEach
  void tearDown() {
    s3A.close();
    s3B.close();
  }

  private S3LockClient node(S3Client s3, String name) {
    return builder(s3, name).build();
  }

  private S3LockClient.Builder builder(S3Client s3, String name) {
    return S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix("locks/").lockedBy(name).clock(clock);
  }

  /** The operators' entry point on node B's client. */
  private S3LockAdmin adminB() {
    return builder(s3B, "operator").buildAdmin();
  }

  private Instant later(Duration d) {
    return clock.instant().plus(d);
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private String name(String base) {
    return base + "-" + System.nanoTime();
  }

  @Test
  void probeDetectsTheStoresDialect() {
    ConformanceReport report = builder(s3A, "node-a").buildAdmin().probe();
    assertThat(report.problems()).isEmpty();
    assertThat(report.dialect()).contains(expectedDialect());
  }

  @Test
  void acquiresANewNameWithOnePut() {
    String lock = name("new");
    Optional<Lease> lease = nodeA.tryAcquire(lock, later(MINUTE));
    assertThat(lease).isPresent();
    // A new name starts at the store time in microseconds (see nextToken): above any token of a deleted object.
    assertThat(lease.get().token()).isEqualTo(micros(clock.instant()));
    assertThat(requestsA.requests()).hasToString("[PUT=200]");
  }

  @Test
  void refusesALockHeldByAnotherNodeCold() {
    String lock = name("held");
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isPresent();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(requestsB.requests()).hasToString("[PUT=412, GET=200]");
  }

  @Test
  void refusesALockHeldByAnotherNodeWithOneConditionalGetWhenWarm() {
    String lock = name("held");
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isPresent();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    requestsB.reset();
    for (int i = 0; i < 3; i++) {
      assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    }
    assertThat(requestsB.byMethod()).isEqualTo(Map.of("GET", 3));
  }

  @Test
  void doesNotReEnterALockItHolds() {
    String lock = name("mine");
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isPresent();
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isEmpty();
  }

  @Test
  void releasesWithOnePutAndReAcquiresWithOnePut() {
    String lock = name("cycle");
    Lease first = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.release(first, clock.instant())).isTrue();
    Lease second = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(second.token()).isEqualTo(first.token() + 1);
    assertThat(nodeA.release(second, clock.instant())).isTrue();
    assertThat(requestsA.requests()).hasToString("[PUT=200, PUT=200, PUT=200, PUT=200]");
  }

  @Test
  void releaseKeepsTheLockUntilLockAtLeastUntil() {
    String lock = name("at-least");
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.release(lease, later(Duration.ofSeconds(10)))).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isEmpty();
    clock.advance(Duration.ofSeconds(10));
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void takesOverAfterAnotherNodeReleasedWithTwoRequestsWarm() {
    String lock = name("takeover");
    Lease a = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty(); // now B knows A's version
    assertThat(nodeA.release(a, clock.instant())).isTrue();
    requestsB.reset();
    Lease b = nodeB.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(b.token()).isEqualTo(a.token() + 1);
    assertThat(requestsB.requests()).hasToString("[GET=200, PUT=200]");
  }

  @Test
  void takesOverAReleasedLockWithThreeRequestsCold() {
    String lock = name("cold");
    Lease a = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.release(a, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
    assertThat(requestsB.requests()).hasToString("[PUT=412, GET=200, PUT=200]");
  }

  @Test
  void takesOverAnExpiredLockAndFencesTheOldHolderOut() {
    String lock = name("expired");
    Lease old = nodeA.tryAcquire(lock, later(Duration.ofSeconds(5))).orElseThrow();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    clock.advance(Duration.ofSeconds(5));
    Lease current = nodeB.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(current.token()).isGreaterThan(old.token());

    assertThat(nodeA.release(old, clock.instant())).isFalse();
    assertThat(nodeA.extend(old, later(MINUTE))).isEmpty();
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(nodeA.read(lock)).hasValueSatisfying(r -> {
      assertThat(r.lockedBy()).isEqualTo("node-b");
      assertThat(r.token()).isEqualTo(current.token());
    });
    assertThat(nodeB.release(current, clock.instant())).isTrue();
  }

  @Test
  void extendsWithOnePutWhileHeld() {
    String lock = name("extend");
    Lease lease = nodeA.tryAcquire(lock, later(Duration.ofSeconds(10))).orElseThrow();
    requestsA.reset();
    Lease extended = nodeA.extend(lease, later(MINUTE)).orElseThrow();
    assertThat(requestsA.requests()).hasToString("[PUT=200]");
    assertThat(extended.token()).isEqualTo(lease.token());
    assertThat(extended.lockUntil()).isEqualTo(later(MINUTE));
    clock.advance(Duration.ofSeconds(30));
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(nodeA.release(extended, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void doesNotExtendAnExpiredLeaseAndSendsNothing() {
    String lock = name("late-extend");
    Lease lease = nodeA.tryAcquire(lock, later(Duration.ofSeconds(1))).orElseThrow();
    clock.advance(Duration.ofSeconds(1));
    requestsA.reset();
    assertThat(nodeA.extend(lease, later(MINUTE))).isEmpty();
    assertThat(requestsA.total()).isZero();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void aLeaseIsItsAcquisitionSoASpentOneStillReleasesItButNoLaterOne() {
    String lock = name("spent");
    Lease lease = nodeA.tryAcquire(lock, later(Duration.ofSeconds(10))).orElseThrow();
    Lease extended = nodeA.extend(lease, later(MINUTE)).orElseThrow();
    // Same acquisition (same owner nonce): the spent lease's release finds our own newer record and frees it.
    assertThat(nodeA.release(lease, clock.instant())).isTrue();
    Lease b = nodeB.tryAcquire(lock, later(MINUTE)).orElseThrow();
    // Another acquisition: neither of A's leases can touch it.
    assertThat(nodeA.release(lease, clock.instant())).isFalse();
    assertThat(nodeA.release(extended, clock.instant())).isFalse();
    assertThat(nodeA.extend(extended, later(MINUTE))).isEmpty();
    assertThat(nodeB.read(lock)).hasValueSatisfying(r -> assertThat(r.token()).isEqualTo(b.token()));
  }

  @Test
  void fencingTokensGrowAcrossNodes() {
    String lock = name("tokens");
    List<Long> tokens = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      S3LockClient node = i % 3 == 0 ? nodeB : nodeA;
      Lease lease = node.tryAcquire(lock, later(MINUTE)).orElseThrow();
      tokens.add(lease.token());
      assertThat(node.release(lease, clock.instant())).isTrue();
    }
    long first = micros(clock.instant());
    assertThat(tokens).containsExactly(first, first + 1, first + 2, first + 3, first + 4, first + 5);
  }

  @Test
  void recreatesALockObjectDeletedBehindItsBackAndKeepsTheTokenGrowing() {
    String lock = name("deleted");
    Lease first = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.release(first, clock.instant())).isTrue();
    s3B.deleteObject(b -> b.bucket(bucket).key(nodeA.keyFor(lock)));
    Lease second = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(second.token()).isGreaterThan(first.token());
  }

  @Test
  void recognisesItsOwnWinWhenTheResponseToAnAppliedCreateIsLost() {
    String lock = name("ambiguous-create");
    faultsA.next(Fault.APPLIED_THEN_500);
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    // The SDK retried the applied PUT and got 412: only the read-back of our own record tells we won.
    assertThat(requestsA.requests()).hasToString("[PUT=500, PUT=412, GET=200]");
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(nodeA.release(lease, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void recognisesItsOwnWinWhenTheResponseToAnAppliedTakeoverIsLost() {
    String lock = name("ambiguous-takeover");
    Lease a = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.release(a, clock.instant())).isTrue();
    faultsA.next(Fault.APPLIED_THEN_500);
    Lease again = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(again.token()).isEqualTo(a.token() + 1);
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
  }

  @Test
  void recognisesItsOwnReleaseAndExtendWhenTheirResponsesAreLost() {
    String lock = name("ambiguous-release");
    Lease lease = nodeA.tryAcquire(lock, later(Duration.ofSeconds(10))).orElseThrow();
    faultsA.next(Fault.APPLIED_THEN_500);
    Lease extended = nodeA.extend(lease, later(MINUTE)).orElseThrow();
    faultsA.next(Fault.APPLIED_THEN_500);
    assertThat(nodeA.release(extended, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void retriesAfterAConflictThatWroteNothing() {
    String lock = name("conflict");
    faultsA.next(Fault.NOT_APPLIED_409);
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(lease.token()).isEqualTo(micros(clock.instant()));
    assertThat(requestsA.requests()).hasToString("[PUT=409, GET=404, PUT=200]");
    faultsA.next(Fault.NOT_APPLIED_409);
    assertThat(nodeA.release(lease, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void reportsAStoreThatKeepsFailingAsUnavailableNotAsHeld() {
    String lock = name("outage");
    nodeA.release(nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow(), clock.instant());
    faultsA.next(Fault.NOT_APPLIED_503).next(Fault.NOT_APPLIED_503).next(Fault.NOT_APPLIED_503);
    assertThatThrownBy(() -> nodeA.tryAcquire(lock, later(MINUTE)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE))
        .hasMessageContaining("nobody holds it");
    assertThat(faultsA.pending()).isZero();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void aReleaseThatTheStoreKeepsFailingLeavesTheLeaseHeldAndUsable() {
    String lock = name("outage-release");
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    faultsA.next(Fault.NOT_APPLIED_503).next(Fault.NOT_APPLIED_503).next(Fault.NOT_APPLIED_503);
    assertThatThrownBy(() -> nodeA.release(lease, clock.instant()))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE))
        .hasMessageContaining("stays held by us");
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(nodeA.release(lease, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void readsATornBodyAgainInsteadOfCallingItCorrupt() {
    String lock = name("torn");
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isPresent();
    requestsB.reset();
    S3Client tornS3 = store().newClient(requestsB, new FaultInjector().next(Fault.TORN_READ));
    S3LockClient reader = S3LockClient.builder().s3Client(tornS3).bucket(bucket).keyPrefix("locks/").clock(clock)
        .probe(false).dialect(expectedDialect()).build();
    assertThat(reader.read(lock)).hasValueSatisfying(r -> assertThat(r.lockedBy()).isEqualTo("node-a"));
    assertThat(requestsB.requests()).hasToString("[GET=200, GET=200]");
    tornS3.close();
  }

  @Test
  void keepsTheInterruptFlagAndSaysSo() {
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> nodeA.tryAcquire(name("interrupted"), later(MINUTE)))
          .isInstanceOfSatisfying(S3LockException.class,
              e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.INTERRUPTED));
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void anInterruptedAcquireWhoseWriteWasAppliedLeavesTheLockFree() {
    String fresh = name("interrupted-create");
    String taken = name("interrupted-replace");
    nodeA.release(nodeA.tryAcquire(taken, later(MINUTE)).orElseThrow(), clock.instant());
    for (String lock : List.of(fresh, taken)) {
      faultsA.next(Fault.APPLIED_THEN_INTERRUPTED);
      try {
        assertThatThrownBy(() -> nodeA.tryAcquire(lock, later(MINUTE)))
            .isInstanceOfSatisfying(S3LockException.class, e -> {
              assertThat(e.kind()).isEqualTo(S3LockException.Kind.INTERRUPTED);
              assertThat(e.getMessage()).contains(lock, "applied and was released again");
            });
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
      } finally {
        Thread.interrupted();
      }
      // The write landed (node-a's record is there), yet nobody is left holding the lock until lockUntil.
      assertThat(nodeB.read(lock)).hasValueSatisfying(r -> assertThat(r.lockedBy()).isEqualTo("node-a"));
      assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
    }
    assertThat(faultsA.pending()).isZero();
  }

  @Test
  void listsEveryLockUnderThePrefix() {
    String held = name("listed-held");
    String free = name("listed-free");
    nodeA.tryAcquire(held, later(MINUTE)).orElseThrow();
    nodeB.release(nodeB.tryAcquire(free, later(MINUTE)).orElseThrow(), clock.instant());
    Instant before = Instant.now().minusSeconds(60);
    List<LockObject> listed = builder(s3A, "node-a").buildAdmin().list();
    assertThat(listed).extracting(o -> o.record().name()).contains(held, free, "warm-up")
        .noneMatch(n -> n.startsWith(".s3-lock"));
    // S3's Last-Modified is the store's clock to the second: within a generous minute of this test's writes.
    Instant after = Instant.now().plusSeconds(60);
    assertThat(listed).filteredOn(o -> o.record().name().equals(held)).singleElement()
        .satisfies(o -> assertThat(o.lastModified()).isBetween(before, after));
    assertThat(adminB().show(held)).hasValueSatisfying(o -> {
      assertThat(o.record()).isEqualTo(nodeB.read(held).orElseThrow());
      assertThat(o.lastModified()).isBetween(before, after);
    });
    assertThat(adminB().show(name("never-written"))).isEmpty();
  }

  @Test
  void operatorReleaseRefusesAHeldLockUnlessForcedAndNeverClobbersANewerHolder() {
    String lock = name("operator");
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(adminB().forceRelease(lock, false).result()).isEqualTo(S3LockAdmin.OperatorRelease.Result.HELD);
    S3LockAdmin.OperatorRelease forced = adminB().forceRelease(lock, true);
    assertThat(forced.result()).isEqualTo(S3LockAdmin.OperatorRelease.Result.RELEASED);
    assertThat(forced.found().lockedBy()).isEqualTo("node-a");
    assertThat(nodeA.release(lease, clock.instant())).isFalse(); // its ETag is gone: fenced out
    assertThat(adminB().forceRelease(lock, false).result())
        .isEqualTo(S3LockAdmin.OperatorRelease.Result.ALREADY_FREE);
    assertThat(adminB().forceRelease(name("never"), true).result())
        .isEqualTo(S3LockAdmin.OperatorRelease.Result.MISSING);
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void tellsItsListenerEveryAttemptRequestReleaseAndLostLease() {
    List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
    LockListener listener = new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        assertThat(latency).isPositive();
        events.add("attempt " + outcome);
      }

      @Override
      public void requestCompleted(Request request, int status) {
        events.add(request + " " + status);
      }

      @Override
      public void released(String lockName, Duration heldFor) {
        events.add("released after " + heldFor.toSeconds() + " s");
      }

      @Override
      public void leaseLost(String lockName) {
        events.add("lost");
      }
    };
    S3LockClient observed = S3LockClient.builder().s3Client(s3A).bucket(bucket).keyPrefix("locks/").clock(clock)
        .probe(false).dialect(expectedDialect()).listener(listener).build();
    String lock = name("observed");
    Lease lease = observed.tryAcquire(lock, later(Duration.ofSeconds(10))).orElseThrow();
    assertThat(observed.tryAcquire(lock, later(MINUTE))).isEmpty();
    clock.advance(Duration.ofSeconds(3));
    observed.release(lease, clock.instant());
    Lease second = observed.tryAcquire(lock, later(Duration.ofSeconds(1))).orElseThrow();
    assertThat(events).containsExactly("PUT 200", "attempt ACQUIRED", "attempt HELD", "PUT 200",
        "released after 3 s", "PUT 200", "attempt ACQUIRED");
    clock.advance(Duration.ofSeconds(2));
    nodeB.tryAcquire(lock, later(MINUTE)).orElseThrow();
    events.clear();
    assertThat(observed.release(second, clock.instant())).isFalse();
    assertThat(events).containsExactly("PUT 412", "GET 200", "lost");
    events.clear();
    assertThatThrownBy(() -> S3LockClient.builder().s3Client(s3A).bucket("no-such-bucket-" + System.nanoTime())
        .clock(clock).probe(false).listener(listener).build().tryAcquire("x", later(MINUTE)));
    assertThat(events).containsExactly("PUT 404", "attempt ERROR");
  }

  // ---- Hardening: faults the simulation did not model before (issue 10) ----

  @Test
  void aCreateThatLandsAfterItsReadBackIsRecognisedAsOursByItsNonce() {
    // A clock that moves, so that the attempt's second write differs from the late one (lockedAt, token).
    S3LockClient node = S3LockClient.builder().s3Client(s3A).bucket(bucket).keyPrefix("locks/").lockedBy("node-a")
        .clock(MovableClock.followingSystemTime()).build();
    assertThat(node.tryAcquire(name("warm-up"), Instant.now().plus(MINUTE))).isPresent(); // runs the probe
    String lock = name("late-create");
    faultsA.replayingWith(s3B).next(Fault.LANDS_AFTER_READ_BACK);

    Lease lease = node.tryAcquire(lock, Instant.now().plus(MINUTE)).orElseThrow();

    assertThat(faultsA.pending()).as("the late write landed").isZero();
    assertThat(nodeB.read(lock)).hasValueSatisfying(r -> {
      assertThat(r.lockedBy()).isEqualTo("node-a");
      assertThat(r.token()).isEqualTo(lease.token());
    });
    assertThat(node.release(lease, Instant.now())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void aTakeoverThatLandsAfterItsReadBackIsRecognisedAsOursByItsNonce() {
    S3LockClient node = S3LockClient.builder().s3Client(s3A).bucket(bucket).keyPrefix("locks/").lockedBy("node-a")
        .clock(MovableClock.followingSystemTime()).build();
    assertThat(node.tryAcquire(name("warm-up"), Instant.now().plus(MINUTE))).isPresent(); // runs the probe
    String lock = name("late-takeover");
    S3LockClient other = S3LockClient.builder().s3Client(s3B).bucket(bucket).keyPrefix("locks/").lockedBy("node-b")
        .clock(MovableClock.followingSystemTime()).build();
    Lease theirs = other.tryAcquire(lock, Instant.now().plus(MINUTE)).orElseThrow();
    assertThat(node.tryAcquire(lock, Instant.now().plus(MINUTE))).isEmpty(); // now it knows their version
    assertThat(other.release(theirs, Instant.now())).isTrue();
    faultsA.replayingWith(s3B).next(Fault.LANDS_AFTER_READ_BACK);

    Lease lease = node.tryAcquire(lock, Instant.now().plus(MINUTE)).orElseThrow();

    assertThat(faultsA.pending()).isZero();
    assertThat(nodeB.read(lock)).hasValueSatisfying(r -> assertThat(r.token()).isEqualTo(lease.token()));
    assertThat(node.release(lease, Instant.now())).isTrue();
  }

  @Test
  void anExtendAppliedWhoseReadBackFailedIsStillOursAtRelease() {
    String lock = name("extend-unknown");
    Lease lease = nodeA.tryAcquire(lock, later(Duration.ofSeconds(10))).orElseThrow();
    faultsA.next(Fault.APPLIED_THEN_500).next(Fault.READ_FAILS_503);
    assertThatThrownBy(() -> nodeA.extend(lease, later(MINUTE))).isInstanceOfSatisfying(S3LockException.class,
        e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE));
    // The extend was applied: the object holds our record with the new lockUntil, under an ETag we never saw.
    assertThat(nodeB.read(lock)).hasValueSatisfying(r -> assertThat(r.lockUntil()).isEqualTo(later(MINUTE)));

    assertThat(nodeA.release(lease, clock.instant())).as("released, not reported lost").isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void tokensKeepGrowingAfterTheObjectIsDeletedEvenOnANodeThatNeverSawIt() {
    String lock = name("deleted-cold");
    long last = 0;
    for (int i = 0; i < 3; i++) {
      Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
      assertThat(lease.token()).isGreaterThan(last);
      last = lease.token();
      assertThat(nodeA.release(lease, clock.instant())).isTrue();
    }
    s3B.deleteObject(b -> b.bucket(bucket).key(nodeA.keyFor(lock))); // a lifecycle rule, an operator
    clock.advance(Duration.ofSeconds(1)); // later than the last acquisition by more than the clocks differ (0 here)
    S3LockClient cold = node(store().newClient(), "node-c");

    Lease recreated = cold.tryAcquire(lock, later(MINUTE)).orElseThrow();

    assertThat(recreated.token()).isGreaterThan(last);
    assertThat(cold.release(recreated, clock.instant())).isTrue();
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).hasValueSatisfying(
        l -> assertThat(l.token()).isGreaterThan(recreated.token()));
  }

  @Test
  void aListenerThatThrowsDoesNotChangeTheOutcome() {
    LockListener broken = new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        throw new IllegalStateException("metrics bug");
      }

      @Override
      public void requestCompleted(Request request, int status) {
        throw new IllegalStateException("metrics bug");
      }

      @Override
      public void released(String lockName, Duration heldFor) {
        throw new IllegalStateException("metrics bug");
      }
    };
    S3LockClient node = S3LockClient.builder().s3Client(s3A).bucket(bucket).keyPrefix("locks/").lockedBy("node-a")
        .clock(clock).listener(broken).build();
    String lock = name("listener");

    Lease lease = node.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isEmpty();
    assertThat(node.release(lease, clock.instant())).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void releasesOnAnInterruptedThreadAndKeepsTheFlag() {
    String lock = name("release-interrupted");
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    Thread.currentThread().interrupt(); // executor.shutdownNow() during a deploy
    boolean released;
    try {
      released = nodeA.release(lease, clock.instant());
      assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept for the caller").isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(released).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void aReleaseInterruptedMidWriteStillReleases() {
    String lock = name("release-interrupted-mid-write");
    Lease lease = nodeA.tryAcquire(lock, later(MINUTE)).orElseThrow();
    faultsA.next(Fault.APPLIED_THEN_INTERRUPTED);
    boolean released;
    try {
      released = nodeA.release(lease, clock.instant());
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(released).isTrue();
    assertThat(nodeB.tryAcquire(lock, later(MINUTE))).isPresent();
  }

  @Test
  void aDeletedLockObjectDoesNotWedgeWarmNodesWithoutListBucket() {
    faultsA.missingAsDenied(true); // S3 answers 403 for a missing key to a caller without s3:ListBucket
    String theirs = name("denied-theirs");
    String ours = name("denied-ours");
    Lease b = nodeB.tryAcquire(theirs, later(MINUTE)).orElseThrow();
    assertThat(nodeA.tryAcquire(theirs, later(MINUTE))).isEmpty(); // A now knows B's version
    nodeA.release(nodeA.tryAcquire(ours, later(MINUTE)).orElseThrow(), clock.instant()); // A knows its own
    s3B.deleteObject(r -> r.bucket(bucket).key(nodeA.keyFor(theirs)));
    s3B.deleteObject(r -> r.bucket(bucket).key(nodeA.keyFor(ours)));

    assertThat(nodeA.tryAcquire(theirs, later(MINUTE))).as("warm, someone else's version").isPresent();
    assertThat(nodeA.tryAcquire(ours, later(MINUTE))).as("warm, our own released version").isPresent();
    assertThat(nodeB.release(b, clock.instant())).as("B's object was deleted under it: lost").isFalse();
  }

  @Test
  void aLockThatExistsButMayNotBeReadIsAccessDeniedNotTakenOver() {
    String lock = name("really-denied");
    nodeB.tryAcquire(lock, later(MINUTE)).orElseThrow();
    assertThat(nodeA.tryAcquire(lock, later(MINUTE))).isEmpty();
    // From now on every GET of A answers 403 (no s3:GetObject): the object exists, the create proves it.
    S3Client denied = store().newClient(new DenyAllReads());
    S3LockClient node = S3LockClient.builder().s3Client(denied).bucket(bucket).keyPrefix("locks/")
        .lockedBy("node-d").clock(clock).probe(false).dialect(expectedDialect()).build();
    assertThatThrownBy(() -> node.tryAcquire(lock, later(MINUTE))).isInstanceOfSatisfying(S3LockException.class,
        e -> {
          assertThat(e.kind()).isEqualTo(S3LockException.Kind.ACCESS_DENIED);
          assertThat(e.getMessage()).contains("s3:GetObject");
        });
  }

  @Test
  void serverTimeOnAStoreThatSendsNoDateSaysSo() {
    S3Client noDate = store().newClient(new DropDateHeader());
    S3LockClient node = S3LockClient.builder().s3Client(noDate).bucket(bucket).keyPrefix("locks/")
        .timeMode(TimeMode.SERVER).build();
    assertThatThrownBy(() -> node.tryAcquire(name("no-date"), Instant.now().plus(MINUTE)))
        .isInstanceOfSatisfying(S3LockException.class, e -> {
          assertThat(e.kind()).isEqualTo(S3LockException.Kind.STORE_NOT_CONFORMANT);
          assertThat(e.getMessage()).contains("Date", "TimeMode.CLIENT");
        });
  }

  /** A store that sends no Date header (some proxies strip it). */
  private static final class DropDateHeader implements ExecutionInterceptor {
    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      return context.httpResponse().toBuilder().removeHeader("Date").build();
    }
  }

  /** Credentials without s3:GetObject: every GET answers 403 AccessDenied. */
  private static final class DenyAllReads implements ExecutionInterceptor {
    @Override
    public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
      if (context.httpRequest().method() != SdkHttpMethod.GET) {
        return context.httpResponse();
      }
      return context.httpResponse().toBuilder().statusCode(403).removeHeader("Content-Length")
          .removeHeader("ETag").putHeader("Content-Type", "application/xml").build();
    }

    @Override
    public Optional<java.io.InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
        ExecutionAttributes attributes) {
      if (context.httpRequest().method() != SdkHttpMethod.GET) {
        return context.responseBody();
      }
      context.responseBody().ifPresent(in -> {
        try (in) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (java.io.IOException e) {
          // discarded connection: fine
        }
      });
      return Optional.of(new java.io.ByteArrayInputStream(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>"
          + "<Code>AccessDenied</Code><Message>Access Denied</Message></Error>").getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void exactlyOneWinnerPerRoundAmong32Racers() throws Exception {
    int racers = 32;
    int rounds = 50;
    String lock = name("race");
    List<S3LockClient> nodes = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      // One S3 client per 8 racers; each racer has its own lock client (cache), like a node.
      S3Client s3 = i % 2 == 0 ? s3A : s3B;
      nodes.add(S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix("locks/").lockedBy("racer-" + i)
          .clock(clock).probe(false).dialect(expectedDialect()).build());
    }
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      List<Integer> winnersPerRound = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Optional<Lease>>> attempts = new ArrayList<>();
        for (S3LockClient node : nodes) {
          attempts.add(pool.submit(() -> {
            start.await();
            return node.tryAcquire(lock, later(MINUTE));
          }));
        }
        start.countDown();
        List<Lease> won = new ArrayList<>();
        Lease winnerLease = null;
        S3LockClient winner = null;
        for (int i = 0; i < racers; i++) {
          Optional<Lease> lease = attempts.get(i).get(60, TimeUnit.SECONDS);
          if (lease.isPresent()) {
            won.add(lease.get());
            winnerLease = lease.get();
            winner = nodes.get(i);
          }
        }
        winnersPerRound.add(won.size());
        if (winner != null) {
          assertThat(winner.release(winnerLease, clock.instant())).isTrue();
        }
      }
      assertThat(winnersPerRound).as("winners per round").containsOnly(1).hasSize(rounds);
      assertThat(nodeA.read(lock)).hasValueSatisfying(
          r -> assertThat(r.token()).isEqualTo(micros(clock.instant()) + rounds - 1));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void namesMapToKeysInsideThePrefix() {
    List<String> names = List.of("a/b", "../escape", "..", "with space", "ünïcödé-名前", "%2F", "tab\there");
    for (String n : names) {
      Lease lease = nodeA.tryAcquire(n, later(MINUTE)).orElseThrow();
      assertThat(lease.name()).isEqualTo(n);
      assertThat(nodeA.read(n)).hasValueSatisfying(r -> assertThat(r.name()).isEqualTo(n));
    }
    List<String> keys = s3A.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream()
        .map(S3Object::key).collect(Collectors.toList());
    assertThat(keys).allSatisfy(k -> assertThat(k).startsWith("locks/"));
    assertThat(keys).filteredOn(k -> !k.startsWith("locks/.s3-lock-"))
        .allSatisfy(k -> assertThat(k.substring("locks/".length())).doesNotContain("/"));
  }

  @Test
  void rejectsNamesThatCannotBeKeys() {
    assertThatThrownBy(() -> nodeA.tryAcquire("", later(MINUTE))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> nodeA.tryAcquire("x".repeat(1025), later(MINUTE)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1024");
    assertThat(requestsA.total()).isZero();
  }

  @Test
  void failsFastOnAStoreThatIgnoresConditionalWrites() {
    faultsA.stripConditions(true);
    S3LockClient fresh = node(s3A, "node-c");
    assertThatThrownBy(() -> fresh.tryAcquire(name("never"), later(MINUTE)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.STORE_NOT_CONFORMANT))
        .hasMessageContaining("ignores If-None-Match").hasMessageContaining(bucket);
  }

  @Test
  void namesAMissingBucketAndTheFix() {
    S3LockClient lost = S3LockClient.builder().s3Client(s3A).bucket("no-such-bucket-" + System.nanoTime())
        .clock(clock).build();
    assertThatThrownBy(() -> lost.tryAcquire("x", later(MINUTE)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.BUCKET_NOT_FOUND))
        .hasMessageContaining("no-such-bucket-").hasMessageContaining("Create it");
  }

  @Test
  void refusesToTakeALockWhoseObjectIsNotARecord() {
    String lock = name("corrupt");
    s3B.putObject(b -> b.bucket(bucket).key(nodeA.keyFor(lock)),
        RequestBody.fromString("{\"something\":\"else\"}", StandardCharsets.UTF_8));
    assertThatThrownBy(() -> nodeA.tryAcquire(lock, later(MINUTE)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.CORRUPT_RECORD))
        .hasMessageContaining(nodeA.keyFor(lock));
  }

  @Test
  void serverTimeModeWritesTheStoresTime() {
    MovableClock farOff = MovableClock.frozenAt(FAR_OFF); // years away from the store's clock
    S3LockClient node = S3LockClient.builder().s3Client(s3A).bucket(bucket).clock(farOff)
        .timeMode(TimeMode.SERVER).build();
    String lock = name("server-time");
    Lease lease = node.tryAcquire(lock, farOff.instant().plus(MINUTE)).orElseThrow();
    Instant realNow = Instant.now();
    assertThat(lease.lockUntil()).isBetween(realNow.plus(MINUTE).minusSeconds(5), realNow.plus(MINUTE).plusSeconds(5));
    assertThat(node.now()).isBetween(realNow.minusSeconds(5), realNow.plusSeconds(5));
  }
}
