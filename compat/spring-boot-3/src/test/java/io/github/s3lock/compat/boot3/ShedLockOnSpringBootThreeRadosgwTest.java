package io.github.s3lock.compat.boot3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.Scheduled;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code @SchedulerLock} on Spring Boot 3.5 with ShedLock 6.10, on a real S3 (Ceph radosgw, which CI starts), with
 * s3-lock-testing's interceptors on the application's client: the task runs under the lock, does not run while
 * another node holds it, and survives a write whose answer was lost.
 */
@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
@SpringBootTest(classes = ShedLockOnSpringBootThreeRadosgwTest.App.class)
class ShedLockOnSpringBootThreeRadosgwTest {

  static final String LOCK = "boot3-report";
  static final Duration WAIT = Duration.ofSeconds(60);

  @Configuration
  @Import(SchedulerLockApplication.class)
  static class App {
    @Bean
    TestStore store() {
      return TestStore.fromEnvironment(TestStore.RADOSGW);
    }

    @Bean(destroyMethod = "close")
    S3Client s3Client(TestStore store, RequestCounter counter, FaultInjector faults) {
      return store.newClient(counter, faults);
    }

    @Bean
    String bucket(TestStore store, S3Client s3) {
      return store.newBucket(s3);
    }

    @Bean
    LockProvider lockProvider(S3Client s3, String bucket) {
      return new S3LockProvider(s3, bucket);
    }

    @Bean
    Report report() {
      return new Report();
    }
  }

  /** ShedLock proxies this bean: read it through methods, never its fields. */
  static class Report {
    private final AtomicInteger runs = new AtomicInteger();

    @Scheduled(fixedDelay = 50)
    @SchedulerLock(name = LOCK)
    public void run() {
      runs.incrementAndGet();
    }

    public int runs() {
      return runs.get();
    }
  }

  @Autowired
  Report report;

  @Autowired
  RequestCounter counter;

  @Autowired
  FaultInjector faults;

  @Autowired
  TestStore store;

  @Autowired
  String bucket;

  @Test
  void theTaskRunsUnderTheLockAndNotWhileAnotherNodeHoldsIt() throws Exception {
    await().atMost(WAIT).until(() -> report.runs() >= 3);
    assertThat(counter.count("PUT")).isPositive();

    try (S3Client otherNodesClient = store.newClient()) {
      LockProvider otherNode = new S3LockProvider(otherNodesClient, bucket);
      SimpleLock held = await().atMost(WAIT)
          .until(() -> otherNode.lock(config()).orElse(null), lock -> lock != null);
      // Every run of this application ended with its release before the other node could take the lock.
      int whileHeld = report.runs();
      // Six more attempts of this application's scheduler (each asks S3 at least once), and not one run.
      int requestsBefore = counter.total();
      await().atMost(WAIT).until(() -> counter.total() >= requestsBefore + 6);
      assertThat(report.runs()).isEqualTo(whileHeld);

      held.unlock();
      await().atMost(WAIT).until(() -> report.runs() > whileHeld);
    }
  }

  @Test
  void aWriteWhoseAnswerWasLostStillEndsInARunAndAReleasedLock() throws Exception {
    await().atMost(WAIT).until(() -> report.runs() >= 1);
    faults.next(FaultInjector.Fault.APPLIED_THEN_500);
    await().atMost(WAIT).until(() -> faults.injected() == 1);
    int runsAfterFault = report.runs();
    await().atMost(WAIT).until(() -> report.runs() > runsAfterFault + 1);

    // Released, not stranded: another node gets the lock within the time it takes the scheduler to let go.
    try (S3Client otherNodesClient = store.newClient()) {
      LockProvider otherNode = new S3LockProvider(otherNodesClient, bucket);
      SimpleLock held = await().atMost(Duration.ofSeconds(20))
          .until(() -> otherNode.lock(config()).orElse(null), lock -> lock != null);
      held.unlock();
    }
  }

  private static LockConfiguration config() {
    return new LockConfiguration(Instant.now(), LOCK, Duration.ofSeconds(30), Duration.ZERO);
  }
}
