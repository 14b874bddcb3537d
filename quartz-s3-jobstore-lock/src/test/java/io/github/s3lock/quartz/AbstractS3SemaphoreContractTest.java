package io.github.s3lock.quartz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockAdmin;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quartz.impl.jdbcjobstore.LockException;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What Quartz needs from a lock handler, checked against a real S3 store. Subclasses only name the store.
 * Two {@link S3Semaphore} instances on one bucket and scheduler name stand for two cluster nodes.
 */
abstract class AbstractS3SemaphoreContractTest {

  static final String TRIGGER = "TRIGGER_ACCESS";
  static final String STATE = "STATE_ACCESS";

  private final List<S3Client> clients = new ArrayList<>();
  private final List<S3Semaphore> nodes = new ArrayList<>();
  private S3Client s3;
  private String bucket;
  private String keyPrefix;

  abstract TestStore store();

  @BeforeEach
  void setUp() {
    s3 = client();
    bucket = store().newBucket(s3);
    keyPrefix = "quartz-test-" + UUID.randomUUID() + "/";
  }

  @AfterEach
  void closeClients() {
    nodes.forEach(S3Semaphore::stopRenewing);
    clients.forEach(S3Client::close);
  }

  private S3Client client(software.amazon.awssdk.core.interceptor.ExecutionInterceptor... interceptors) {
    S3Client client = store().newClient(interceptors);
    clients.add(client);
    return client;
  }

  S3Semaphore node(String name, S3Client client, long acquireTimeoutMillis) {
    S3Semaphore semaphore = new S3Semaphore(client);
    nodes.add(semaphore);
    semaphore.setBucket(bucket);
    semaphore.setKeyPrefix(keyPrefix);
    semaphore.setSchedName("contract");
    semaphore.setTablePrefix("QRTZ_");
    semaphore.setLockedBy(name);
    // Renewed every third of it: long enough for a cold, serialized S3Mock on two cores.
    semaphore.setLeaseMillis(4000);
    semaphore.setAcquireTimeoutMillis(acquireTimeoutMillis);
    semaphore.setMaxRetryIntervalMillis(100);
    return semaphore;
  }

  S3Semaphore node(String name) {
    return node(name, s3, 30_000);
  }

  /** A node that gives up quickly: to show that a lock is held elsewhere. */
  S3Semaphore impatient(String name) {
    return node(name, s3, 300);
  }

  LockRecord record(String lockName) {
    return S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix(keyPrefix + "contract/QRTZ_/")
        .probe(false).build().read(lockName).orElseThrow();
  }

  @Test
  void obtainWritesTheLockAndTheLeaseGoesBackToS3OnceNoSectionAsks() throws Exception {
    S3Semaphore a = node("a");

    assertThat(a.obtainLock(null, TRIGGER)).isTrue();
    assertThat(a.requiresConnection()).isFalse();
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("a");
    assertThat(record(TRIGGER).lockUntil()).isAfter(Instant.now());

    a.releaseLock(TRIGGER);
    // Kept for affinityIdleMillis (100 ms by default) in case another section asks, then handed back.
    await().atMost(Duration.ofSeconds(10)).until(() -> !record(TRIGGER).lockUntil().isAfter(Instant.now()));
    assertThat(a.holdsLease(TRIGGER)).isFalse();
  }

  @Test
  void withoutAffinityReleaseFreesTheLockAtOnce() throws Exception {
    S3Semaphore a = node("a");
    a.setAffinityMaxHoldMillis(0);

    assertThat(a.obtainLock(null, TRIGGER)).isTrue();
    a.releaseLock(TRIGGER);

    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThat(a.holdsLease(TRIGGER)).isFalse();
  }

  @Test
  void anotherNodeTimesOutWithLockExceptionWhileItIsHeld() throws Exception {
    node("a").obtainLock(null, TRIGGER);

    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("TRIGGER_ACCESS")
        .hasMessageContaining("another node holds it");
  }

  @Test
  void aWaitingNodeGetsTheLockOnlyAfterTheHolderReleases() throws Exception {
    S3Semaphore a = node("a");
    S3Semaphore b = node("b");
    a.obtainLock(null, TRIGGER);
    AtomicBoolean released = new AtomicBoolean();
    AtomicReference<Thread> waiter = new AtomicReference<>();

    CompletableFuture<Boolean> bSawRelease = CompletableFuture.supplyAsync(() -> {
      waiter.set(Thread.currentThread());
      try {
        b.obtainLock(null, TRIGGER);
      } catch (LockException e) {
        throw new IllegalStateException(e);
      }
      return released.get();
    });
    // b has been refused at least once and is backing off.
    await().until(() -> waiter.get() != null && waiter.get().getState() == Thread.State.TIMED_WAITING);
    released.set(true);
    a.releaseLock(TRIGGER);

    assertThat(bSawRelease.get()).isTrue();
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("b");
  }

  @Test
  void isReentrantPerThreadWithAHoldCount() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);

    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);

    a.releaseLock(TRIGGER);
    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();
  }

  @Test
  void holdsStateAccessAndTriggerAccessTogether() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, STATE);
    a.obtainLock(null, TRIGGER);

    assertThatThrownBy(() -> impatient("b").obtainLock(null, STATE)).isInstanceOf(LockException.class);
    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);

    a.releaseLock(TRIGGER);
    a.releaseLock(STATE);
    S3Semaphore b = node("b");
    assertThat(b.obtainLock(null, STATE)).isTrue();
    assertThat(b.obtainLock(null, TRIGGER)).isTrue();
  }

  @Test
  void releaseByAThreadThatDoesNotHoldTheLockIsANoOp() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);

    CompletableFuture.runAsync(() -> a.releaseLock(TRIGGER)).get();
    CompletableFuture.runAsync(() -> a.releaseLock(STATE)).get();

    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("a");
    a.releaseLock(TRIGGER);
    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();
  }

  @Test
  void anInterruptDoesNotEndTheWaitAndIsKeptForTheCaller() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);
    S3Semaphore b = node("b");
    AtomicInteger attempts = countingAttempts(b);
    AtomicReference<Thread> waiter = new AtomicReference<>();
    CompletableFuture<Boolean> obtainedWithFlag = CompletableFuture.supplyAsync(() -> {
      waiter.set(Thread.currentThread());
      try {
        return b.obtainLock(null, TRIGGER) && Thread.currentThread().isInterrupted();
      } catch (LockException e) {
        throw new IllegalStateException(e);
      } finally {
        Thread.interrupted(); // The pool's thread, not ours to leave interrupted.
      }
    });
    await().until(() -> attempts.get() >= 1);

    // As Quartz 2.5 interrupts its scheduler thread at shutdown: the wait goes on (a row lock's would too).
    waiter.get().interrupt();
    int atInterrupt = attempts.get();
    await().until(() -> attempts.get() >= atInterrupt + 2);
    assertThat(obtainedWithFlag).isNotDone();

    a.releaseLock(TRIGGER);
    assertThat(obtainedWithFlag.get(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aThreadWaitingAtShutdownGetsTheLockWithinTheDrainAndNothingStartsAfter() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);
    S3Semaphore b = node("b");
    AtomicInteger attempts = countingAttempts(b);
    CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        boolean obtained = b.obtainLock(null, TRIGGER);
        b.releaseLock(TRIGGER); // The scheduler thread sees the halt and ends its section at once.
        return obtained;
      } catch (LockException e) {
        throw new IllegalStateException(e);
      }
    });
    await().until(() -> attempts.get() >= 1);

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(b::close);
    a.releaseLock(TRIGGER);

    assertThat(waiting.get(30, TimeUnit.SECONDS)).isTrue();
    shutdown.get(30, TimeUnit.SECONDS);
    assertThat(b.holdsLease(TRIGGER)).isFalse();
    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThatThrownBy(() -> b.obtainLock(null, TRIGGER)).isInstanceOf(LockException.class)
        .hasMessageContaining("shut down");
  }

  @Test
  void aThreadStillWaitingWhenTheShutdownStopsWaitingGivesUpWithoutTakingTheLock() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);
    S3Semaphore b = node("b");
    b.setAffinityMaxHoldMillis(0); // The shortest drain: one second and a retry.
    AtomicInteger attempts = countingAttempts(b);
    CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return "obtained: " + b.obtainLock(null, TRIGGER);
      } catch (LockException e) {
        return e.getMessage();
      }
    });
    await().until(() -> attempts.get() >= 1);

    b.close();

    assertThat(waiting.get(30, TimeUnit.SECONDS)).contains("has shut down");
    a.releaseLock(TRIGGER);
    assertThat(b.holdsLease(TRIGGER)).isFalse();
  }

  private static AtomicInteger countingAttempts(S3Semaphore semaphore) {
    AtomicInteger attempts = new AtomicInteger();
    semaphore.setLockListener(new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        attempts.incrementAndGet();
      }
    });
    return attempts;
  }

  @Test
  void aHeldLockIsRenewedBeyondItsLease() throws Exception {
    S3Semaphore a = node("a");
    a.obtainLock(null, TRIGGER);
    Instant firstLeaseEnd = record(TRIGGER).lockUntil();

    await().atMost(Duration.ofSeconds(15)).until(() -> Instant.now().isAfter(firstLeaseEnd.plusMillis(500)));

    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("a");
    assertThat(record(TRIGGER).lockUntil()).isAfter(firstLeaseEnd);
  }

  @Test
  void aCrashedHolderIsTakenOverAfterItsLease() throws Exception {
    S3Client doomed = client();
    S3Semaphore a = node("a", doomed, 30_000);
    a.obtainLock(null, TRIGGER);
    long tokenOfA = record(TRIGGER).token();

    doomed.close(); // No renewal, no release from now on: the node is gone.

    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("b");
    assertThat(record(TRIGGER).token()).isGreaterThan(tokenOfA);
  }

  @Test
  void aLostLeaseIsLoggedAsAnErrorNamingTheNewHolder() throws Exception {
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(S3Semaphore.class);
    logged.start();
    logger.addAppender(logged);
    try {
      Outage outage = new Outage();
      S3Semaphore a = node("a", client(outage), 30_000);
      a.obtainLock(null, TRIGGER);
      outage.start(); // A pause: a cannot renew.
      S3Semaphore b = node("b");
      assertThat(b.obtainLock(null, TRIGGER)).isTrue();
      outage.end();

      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(logged.list)
          .anySatisfy(e -> {
            assertThat(e.getLevel()).isEqualTo(Level.ERROR);
            // The renewer may notice the loss while S3 is still unreachable: then it cannot name the holder, and
            // says so with the reason instead.
            assertThat(e.getFormattedMessage()).contains("Lost Quartz lock 'TRIGGER_ACCESS'")
                .containsAnyOf("held by 'b'", "held by unknown (");
          }));
      // Quartz re-entering to retry its commit must not carry on under b's lock.
      assertThatThrownBy(() -> a.obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);
      a.releaseLock(TRIGGER); // Must not release b's lock.
      assertThat(record(TRIGGER).lockedBy()).isEqualTo("b");
      assertThat(record(TRIGGER).lockUntil()).isAfter(Instant.now());
      assertThat(a.holdCount(TRIGGER)).isZero();
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  void reEntryOnALeaseThatHasRunOutThrowsEvenBeforeTheRenewerNotices() throws Exception {
    MovableClock clock = MovableClock.followingSystemTime();
    S3Semaphore a = node("a");
    a.setClock(clock);
    a.obtainLock(null, TRIGGER);
    a.stopRenewing(); // A renewer that has not run since: stalled, or its period has not come yet.
    clock.advance(Duration.ofMillis(4500)); // Past the lease's own lockUntil (leaseMillis 4000).

    assertThatThrownBy(() -> a.obtainLock(null, TRIGGER))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("TRIGGER_ACCESS")
        .hasMessageContaining("lost");
    assertThat(a.holdCount(TRIGGER)).isEqualTo(1); // The refused re-entry added no level to release.
    a.releaseLock(TRIGGER);
    assertThat(a.holdCount(TRIGGER)).isZero();
  }

  @Test
  void aLeaseThatArrivesNearlyRunOutIsGivenBackAndTakenAgain() throws Exception {
    MovableClock clock = MovableClock.followingSystemTime();
    // The answer to the acquiring PUT comes 3.5 s of the 4 s lease late: 0.5 s would be left for the section.
    LateAnswer late = new LateAnswer(clock, TRIGGER, Duration.ofMillis(3500));
    S3Semaphore a = node("a", client(late), 30_000);
    a.setClock(clock);
    List<String> events = new CopyOnWriteArrayList<>();
    a.setLockListener(new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        events.add(outcome.name());
      }

      @Override
      public void released(String lockName, Duration heldFor) {
        events.add("RELEASED");
      }
    });

    assertThat(a.obtainLock(null, TRIGGER)).isTrue();

    assertThat(late.happened()).isTrue();
    // The first lease was given back; the section runs on the second.
    assertThat(events).containsExactly("ACQUIRED", "RELEASED", "ACQUIRED");
    LockRecord held = record(TRIGGER);
    assertThat(held.lockedBy()).isEqualTo("a");
    assertThat(held.lockUntil()).isAfter(clock.instant().plusMillis(2000));
  }

  @Test
  void aHungRenewalOfOneLockDoesNotHoldUpTheRenewalOfTheOther() throws Exception {
    Hang hang = new Hang(TRIGGER);
    S3Semaphore a = node("a", client(hang), 30_000);
    a.obtainLock(null, TRIGGER);
    a.obtainLock(null, STATE);
    hang.start();
    try {
      await().atMost(Duration.ofSeconds(15)).until(() -> hang.hanging() > 0); // TRIGGER_ACCESS's renewal is stuck.
      Instant stateUntil = record(STATE).lockUntil();

      await().atMost(Duration.ofSeconds(15)).until(() -> record(STATE).lockUntil().isAfter(stateUntil));
    } finally {
      hang.end();
    }
    a.releaseLock(STATE);
    a.releaseLock(TRIGGER);
    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();
  }

  @Test
  void aReleaseDeferredToTheEndOfASpringTransactionMayRunOnAnotherThread() throws Exception {
    S3Semaphore a = node("a", s3, 5_000);
    a.setAffinityMaxHoldMillis(0); // The S3 release itself runs on the completing thread.
    List<TransactionSynchronization> completions;
    TransactionSynchronizationManager.initSynchronization();
    try {
      a.obtainLock(null, TRIGGER);
      a.obtainLock(null, TRIGGER); // Re-entrant inside the transaction, as before.
      a.releaseLock(TRIGGER);
      a.releaseLock(TRIGGER); // JobStoreCMT releases before the commit: the S3 release waits for it.
      assertThat(a.holdCount(TRIGGER)).isEqualTo(1);
      assertThat(record(TRIGGER).lockUntil()).isAfter(Instant.now());
      completions = TransactionSynchronizationManager.getSynchronizations();
    } finally {
      TransactionSynchronizationManager.clearSynchronization();
    }

    // A transaction manager may complete on another thread, e.g. a JTA timeout rolled back by its reaper.
    CompletableFuture.runAsync(() -> completions.forEach(
        c -> c.afterCompletion(TransactionSynchronization.STATUS_ROLLED_BACK))).get();

    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThat(a.holdCount(TRIGGER)).isZero();
    a.releaseLock(TRIGGER); // A late release from the old owner changes nothing.
    // The local lock is free as well: another thread of this node takes it at once.
    assertThat(CompletableFuture.supplyAsync(() -> obtain(a, TRIGGER)).get()).isTrue();
    assertThat(a.holdCount(TRIGGER)).isZero(); // Held by that thread, not this one.
  }

  @Test
  void aReleaseOnAnInterruptedThreadStillFreesTheLockAndKeepsTheFlag() throws Exception {
    S3Semaphore a = node("a");
    a.setAffinityMaxHoldMillis(0); // The S3 release runs on the interrupted thread.
    a.obtainLock(null, TRIGGER);

    Thread.currentThread().interrupt(); // Quartz interrupts its scheduler thread when it shuts down.
    try {
      a.releaseLock(TRIGGER);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThat(impatient("b").obtainLock(null, TRIGGER)).isTrue();
  }

  // Lease affinity: the node keeps its lease between sections.

  @Test
  void sectionsOnAKeptLeaseSendNoRequestWhicheverThreadAsks() throws Exception {
    RequestCounter requests = new RequestCounter();
    S3Semaphore a = node("a", client(requests), 30_000);
    a.setLeaseMillis(60_000); // Renewed every 10 s: not during this test.
    a.setAffinityIdleMillis(60_000);
    a.setAffinityMaxHoldMillis(600_000);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);
    long token = record(TRIGGER).token();
    requests.reset();

    for (int i = 0; i < 20; i++) {
      assertThat(a.obtainLock(null, TRIGGER)).isTrue();
      a.releaseLock(TRIGGER);
    }
    // Quartz's sections come from several threads: scheduler, workers, cluster manager, misfire handler.
    CompletableFuture.runAsync(() -> {
      obtain(a, TRIGGER);
      a.releaseLock(TRIGGER);
    }).get();

    assertThat(requests.requests()).isEmpty();
    assertThat(record(TRIGGER).token()).isEqualTo(token);
    assertThat(a.holdsLease(TRIGGER)).isTrue();
    // Between its sections, the node still holds the lock for the others.
    assertThatThrownBy(() -> impatient("b").obtainLock(null, TRIGGER)).isInstanceOf(LockException.class);
  }

  @Test
  void aNodeThatKeepsAskingHandsTheLockOverAfterItsBoundedHold() throws Exception {
    RequestCounter requestsOfA = new RequestCounter();
    S3Semaphore a = node("a", client(requestsOfA), 30_000);
    a.setLeaseMillis(30_000); // Renewed every 5 s: not during this test.
    a.setAffinityMaxHoldMillis(1000);
    a.setAffinityIdleMillis(60_000); // Only the bounded hold hands it over.
    S3Semaphore b = node("b");
    AtomicInteger inside = new AtomicInteger();
    AtomicBoolean overlap = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger sectionsOfA = new AtomicInteger();
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);
    CompletableFuture<Void> busyA = CompletableFuture.runAsync(() -> {
      while (!stop.get()) {
        obtain(a, TRIGGER);
        if (inside.incrementAndGet() != 1) {
          overlap.set(true);
        }
        sectionsOfA.incrementAndGet();
        inside.decrementAndGet();
        a.releaseLock(TRIGGER);
      }
    });
    await().until(() -> sectionsOfA.get() > 0);
    requestsOfA.reset();

    long asked = System.nanoTime();
    assertThat(b.obtainLock(null, TRIGGER)).isTrue();
    long waitedMillis = (System.nanoTime() - asked) / 1_000_000;
    int putsOfA = requestsOfA.count("PUT");
    if (inside.incrementAndGet() != 1) {
      overlap.set(true);
    }
    inside.decrementAndGet();
    b.releaseLock(TRIGGER);
    int beforeHandBack = sectionsOfA.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> sectionsOfA.get() > beforeHandBack); // a's turn again.
    stop.set(true);
    busyA.get();

    assertThat(overlap).isFalse();
    // a's turn: at most affinityMaxHoldMillis (1000); then a stays away for 1.5 maxRetryIntervalMillis (150) plus
    // four round trips, and b, polling at least every 100 ms, takes it. The rest is slack for a loaded machine.
    assertThat(waitedMillis).isLessThan(1000 + 150 + 4000);
    // a's turn ended with a release, and a stayed away until b had the lock (then a's next PUT, if it came before
    // b's obtainLock returned, was refused); if b was slower than a's wait once, a had one more turn (acquire,
    // release). Without the wait, a re-takes the lock from under b dozens of times.
    assertThat(putsOfA).as("%s", requestsOfA).isBetween(1, 4);
  }

  @Test
  void aLeaseTheRenewerFindsLostStartsNoFurtherSection() throws Exception {
    S3Semaphore a = impatient("a");
    a.setAffinityIdleMillis(60_000);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER); // Kept, with most of its lease left.
    S3LockAdmin operator = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix(keyPrefix + "contract/QRTZ_/")
        .lockedBy("operator").buildAdmin();
    assertThat(operator.forceRelease(TRIGGER, true).result()).isEqualTo(S3LockAdmin.OperatorRelease.Result.RELEASED);
    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();

    // a's next renewal (every sixth of the lease) finds the lease gone: from then on, no section starts on it.
    await().atMost(Duration.ofSeconds(15)).until(() -> !a.holdsLease(TRIGGER));

    assertThatThrownBy(() -> a.obtainLock(null, TRIGGER))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("another node holds it");
    assertThat(record(TRIGGER).lockedBy()).isEqualTo("b");
  }

  @Test
  void aKeptLeaseWithLessThanASectionsMarginLeftIsNotUsed() throws Exception {
    MovableClock clock = MovableClock.followingSystemTime();
    RequestCounter requests = new RequestCounter();
    S3Semaphore a = node("a", client(requests), 30_000);
    a.setClock(clock);
    a.setLeaseMillis(60_000); // Renewed every 10 s: not during this test. A section needs 40 s left.
    a.setAffinityIdleMillis(60_000);
    a.setAffinityMaxHoldMillis(600_000);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);
    long kept = record(TRIGGER).token();
    requests.reset();

    clock.advance(Duration.ofSeconds(25)); // 35 s left: a renewal late or failing.
    assertThat(a.obtainLock(null, TRIGGER)).isTrue();

    // Handed back (PUT) and taken anew (PUT): the section runs on a lease with the full margin.
    assertThat(requests.count("PUT")).as("%s", requests).isEqualTo(2);
    assertThat(record(TRIGGER).token()).isGreaterThan(kept);
    assertThat(record(TRIGGER).lockUntil()).isAfter(clock.instant().plusSeconds(40));
  }

  @Test
  void aLeaseThatRunsOutDuringASectionOnItEndsTheGrantsOnIt() throws Exception {
    MovableClock clock = MovableClock.followingSystemTime();
    RequestCounter requests = new RequestCounter();
    S3Semaphore a = node("a", client(requests), 30_000);
    a.setClock(clock);
    a.setLeaseMillis(60_000);
    a.setAffinityIdleMillis(60_000);
    a.setAffinityMaxHoldMillis(600_000);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);
    long kept = record(TRIGGER).token();
    requests.reset();
    assertThat(a.obtainLock(null, TRIGGER)).isTrue(); // On the kept lease.
    assertThat(requests.total()).isZero();

    clock.advance(Duration.ofSeconds(61)); // A pause: the lease runs out during the section.

    assertThatThrownBy(() -> a.obtainLock(null, TRIGGER)) // Quartz retrying its commit.
        .isInstanceOf(LockException.class)
        .hasMessageContaining("lost");
    a.releaseLock(TRIGGER);
    assertThat(a.holdsLease(TRIGGER)).isFalse();
    assertThat(a.obtainLock(null, TRIGGER)).isTrue();
    assertThat(record(TRIGGER).token()).isGreaterThan(kept); // From S3, not on the lease that ran out.
    assertThat(record(TRIGGER).lockUntil()).isAfter(clock.instant().plusSeconds(40));
  }

  @Test
  void shutdownHandsBackTheLeasesKeptBetweenSections() throws Exception {
    S3Semaphore a = node("a");
    a.setAffinityIdleMillis(60_000);
    a.obtainLock(null, STATE);
    a.releaseLock(STATE);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER);
    assertThat(record(TRIGGER).lockUntil()).isAfter(Instant.now());

    a.close();

    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThat(record(STATE).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThatThrownBy(() -> a.obtainLock(null, TRIGGER)).isInstanceOf(LockException.class)
        .hasMessageContaining("shut down");
  }

  @Test
  void aSectionRunningAtShutdownHandsItsLeaseBackWhenItEnds() throws Exception {
    S3Semaphore a = node("a");
    a.setAffinityIdleMillis(60_000);
    a.obtainLock(null, TRIGGER);

    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(a::close);
    a.releaseLock(TRIGGER);
    shutdown.get();

    assertThat(record(TRIGGER).lockUntil()).isBeforeOrEqualTo(Instant.now());
    assertThat(a.holdsLease(TRIGGER)).isFalse();
  }

  @Test
  void aNodeThatDiesKeepingALeaseIsTakenOverWithinOneLease() throws Exception {
    S3Client doomed = client();
    S3Semaphore a = node("a", doomed, 30_000);
    a.setAffinityIdleMillis(60_000);
    a.obtainLock(null, TRIGGER);
    a.releaseLock(TRIGGER); // Kept between sections.

    a.stopRenewing(); // The process is gone: no renewal, no hand-back.
    doomed.close();
    long died = System.nanoTime();
    assertThat(node("b").obtainLock(null, TRIGGER)).isTrue();

    assertThat(record(TRIGGER).lockedBy()).isEqualTo("b");
    // One lease (4 s), plus b's polling and slack for a loaded machine.
    assertThat((System.nanoTime() - died) / 1_000_000).isLessThan(4000 + 3000);
  }

  @Test
  void aSectionDeferredToTheEndOfASpringTransactionKeepsTheNodesOtherThreadsOut() throws Exception {
    RequestCounter requests = new RequestCounter();
    S3Semaphore a = node("a", client(requests), 30_000);
    a.setAffinityIdleMillis(60_000);
    List<TransactionSynchronization> completions;
    TransactionSynchronizationManager.initSynchronization();
    try {
      a.obtainLock(null, TRIGGER);
      a.releaseLock(TRIGGER); // JobStoreCMT releases before the commit: the section goes on until it completes.
      completions = TransactionSynchronizationManager.getSynchronizations();
    } finally {
      TransactionSynchronizationManager.clearSynchronization();
    }
    requests.reset();
    AtomicReference<Thread> other = new AtomicReference<>();

    CompletableFuture<Boolean> next = CompletableFuture.supplyAsync(() -> {
      other.set(Thread.currentThread());
      return obtain(a, TRIGGER);
    });
    await().until(() -> other.get() != null && other.get().getState() == Thread.State.TIMED_WAITING);
    assertThat(next).isNotDone(); // Not on the kept lease while the transaction runs.

    completions.forEach(c -> c.afterCompletion(TransactionSynchronization.STATUS_COMMITTED));

    assertThat(next.get()).isTrue();
    assertThat(requests.requests()).isEmpty(); // Then on the kept lease, without a request.
  }

  private static boolean obtain(S3Semaphore semaphore, String lockName) {
    try {
      return semaphore.obtainLock(null, lockName);
    } catch (LockException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void unreachableS3ThrowsLockExceptionAfterTheTimeout() {
    S3Client nowhere = store().clientBuilder().endpointOverride(URI.create("http://127.0.0.1:9")).build();
    clients.add(nowhere);

    assertThatThrownBy(() -> node("a", nowhere, 500).obtainLock(null, TRIGGER))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("S3 is unavailable");
  }

  @Test
  void clustersWithOtherSchedulerNamesOrTablePrefixesDoNotShareLocks() throws Exception {
    S3Semaphore a = node("a");
    S3Semaphore otherScheduler = impatient("other-scheduler");
    otherScheduler.setSchedName("another cluster/with odd name");
    S3Semaphore otherTables = impatient("other-tables");
    otherTables.setTablePrefix("APP_QRTZ_");

    a.obtainLock(null, TRIGGER);
    assertThat(otherScheduler.obtainLock(null, TRIGGER)).isTrue();
    assertThat(otherTables.obtainLock(null, TRIGGER)).isTrue();
  }

  @Test
  void theSchedulerNameAndTablePrefixAreOneKeySegmentEachEncodedAsLockNamesAre() throws Exception {
    S3Semaphore odd = node("odd");
    odd.setSchedName("billing.eu/../x y");
    odd.setTablePrefix("QRTZ.");

    assertThat(odd.obtainLock(null, TRIGGER)).isTrue();
    assertThat(s3.listObjectsV2(r -> r.bucket(bucket).prefix(keyPrefix)).contents())
        .extracting(S3Object::key)
        .containsExactly(keyPrefix + "billing.eu%2F..%2Fx%20y/QRTZ./" + TRIGGER);
  }

  @Test
  void aMissingBucketFailsWithAClearMessage() {
    S3Semaphore a = new S3Semaphore(s3);
    nodes.add(a);

    assertThatThrownBy(() -> a.obtainLock(null, TRIGGER))
        .isInstanceOf(LockException.class)
        .hasMessageContaining("org.quartz.jobStore.lockHandler.bucket is required");
  }

  @Test
  void aMissingTimeModeOrABlankLockedByFailsNamingTheProperty() {
    S3Semaphore noMode = node("a");
    noMode.setTimeMode(null);
    assertThatThrownBy(() -> noMode.obtainLock(null, TRIGGER)).isInstanceOf(LockException.class)
        .hasMessageContaining("org.quartz.jobStore.lockHandler.timeMode must be CLIENT or SERVER, was null");

    S3Semaphore blank = node("b");
    blank.setLockedBy(" ");
    assertThatThrownBy(() -> blank.obtainLock(null, TRIGGER)).isInstanceOf(LockException.class)
        .hasMessageContaining("org.quartz.jobStore.lockHandler.lockedBy must not be blank");
  }
}
