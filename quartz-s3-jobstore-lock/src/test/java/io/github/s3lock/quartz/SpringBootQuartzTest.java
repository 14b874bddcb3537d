package io.github.s3lock.quartz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.TestStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.quartz.LocalDataSourceJobStore;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Spring Boot's Quartz auto-configuration with {@code spring.quartz.job-store-type=jdbc}: the job store is
 * {@code LocalDataSourceJobStore} (a JobStoreCMT), which releases the lock of a Scheduler call inside the caller's
 * transaction before that transaction commits. S3Semaphore must hold the S3 lock until the transaction ends.
 * Configured only through properties, credentials from the SDK default chain (system properties here).
 */
class SpringBootQuartzTest {

  private static final String SCHEDULER = "spring-" + UUID.randomUUID().toString().substring(0, 8);
  private static ConfigurableApplicationContext context;
  private static S3Client s3;
  private static S3LockClient reader;

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {}

  @BeforeAll
  static void start() {
    // The SDK default credential chain reads these; S3Mock accepts any credentials.
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
    EmbeddedS3 server = EmbeddedS3.shared();
    s3 = TestStore.embedded().newClient();
    String bucket = TestStore.embedded().newBucket(s3);
    String q = "--spring.quartz.properties.org.quartz.";
    context = new SpringApplicationBuilder(App.class).web(org.springframework.boot.WebApplicationType.NONE).run(
        "--spring.main.banner-mode=off",
        "--spring.jmx.enabled=false",
        "--spring.datasource.url=jdbc:h2:mem:" + SCHEDULER + ";DB_CLOSE_DELAY=-1",
        "--spring.quartz.job-store-type=jdbc",
        "--spring.quartz.jdbc.initialize-schema=always",
        "--spring.quartz.scheduler-name=" + SCHEDULER,
        "--spring.quartz.auto-startup=false", // No scheduler thread competing for the lock until we start it.
        q + "jobStore.isClustered=true",
        q + "jobStore.acquireTriggersWithinLock=true",
        q + "scheduler.instanceId=AUTO",
        q + "jobStore.lockHandler.class=" + S3Semaphore.class.getName(),
        q + "jobStore.lockHandler.bucket=" + bucket,
        q + "jobStore.lockHandler.endpoint=" + server.endpoint(),
        q + "jobStore.lockHandler.region=us-east-1",
        q + "jobStore.lockHandler.pathStyleAccess=true",
        q + "jobStore.lockHandler.leaseMillis=10000",
        // As docs/quartz.md advises: it fails the context if it cannot find the lock handler it is to close.
        q + "plugin.s3Semaphore.class=" + S3SemaphoreShutdownPlugin.class.getName());
    reader = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix("quartz-locks/" + SCHEDULER + "/QRTZ_/")
        .probe(false).build();
  }

  @AfterAll
  static void stop() {
    if (context != null) {
      SpringApplication.exit(context);
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void theS3LockOfASchedulerCallIsReleasedOnlyWhenTheCallersTransactionCompletes() throws Exception {
    Scheduler scheduler = context.getBean(Scheduler.class);
    TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    assertThat(scheduler.getMetaData().getJobStoreClass()).isEqualTo(LocalDataSourceJobStore.class);

    LockRecord duringCommit = tx.execute(status -> {
      schedule(scheduler, "committed");
      // Quartz has released the lock by now; the S3 lock must still be held until the commit.
      return reader.read("TRIGGER_ACCESS").orElseThrow();
    });
    assertThat(duringCommit.lockUntil()).isAfter(Instant.now());
    // The section ended with the commit; the lease is kept for affinityIdleMillis in case another section asks,
    // then handed back.
    awaitFree();
    assertThat(reader.read("TRIGGER_ACCESS").orElseThrow().token()).isEqualTo(duringCommit.token());

    LockRecord duringRollback = tx.execute(status -> {
      schedule(scheduler, "rolled-back");
      status.setRollbackOnly();
      return reader.read("TRIGGER_ACCESS").orElseThrow();
    });
    assertThat(duringRollback.lockUntil()).isAfter(Instant.now());
    awaitFree();

    Firings.reset();
    scheduler.start();
    // The committed job runs once and Quartz then deletes it (after execute() returns, so wait for that).
    await().atMost(Duration.ofSeconds(30))
        .until(() -> !scheduler.checkExists(org.quartz.JobKey.jobKey("committed")));
    assertThat(Firings.total()).isEqualTo(1);
    assertThat(scheduler.checkExists(org.quartz.JobKey.jobKey("rolled-back"))).isFalse(); // Never stored.
  }

  @Test
  void anotherThreadsSchedulerCallWaitsUntilTheCallersTransactionCompletes() throws Exception {
    Scheduler scheduler = context.getBean(Scheduler.class);
    TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    AtomicReference<Thread> other = new AtomicReference<>();
    AtomicReference<CompletableFuture<Void>> second = new AtomicReference<>();
    Date later = new Date(System.currentTimeMillis() + 3_600_000); // Never fires during the tests.

    tx.executeWithoutResult(status -> {
      schedule(scheduler, "waits-1", later);
      second.set(CompletableFuture.runAsync(() -> {
        other.set(Thread.currentThread());
        schedule(scheduler, "waits-2", later);
      }));
      // Quartz has released its lock, but the section lasts until this transaction completes: the other thread
      // of this node waits for it, and does not start a section on the lease the node keeps.
      await().atMost(Duration.ofSeconds(30)).until(() -> other.get() != null && waitsForTheLocalLock(other.get()));
      assertThat(second.get()).isNotDone();
    });

    second.get().get(30, TimeUnit.SECONDS);
    assertThat(scheduler.checkExists(org.quartz.JobKey.jobKey("waits-2"))).isTrue();
    scheduler.deleteJob(org.quartz.JobKey.jobKey("waits-1"));
    scheduler.deleteJob(org.quartz.JobKey.jobKey("waits-2"));
  }

  private static boolean waitsForTheLocalLock(Thread thread) {
    return Arrays.stream(thread.getStackTrace()).anyMatch(
        f -> f.getClassName().equals(LocalLock.class.getName()) && f.getMethodName().equals("tryLock"));
  }

  private static void awaitFree() {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> !reader.read("TRIGGER_ACCESS").orElseThrow().lockUntil().isAfter(Instant.now()));
  }

  private static Void schedule(Scheduler scheduler, String name) {
    return schedule(scheduler, name, new Date());
  }

  private static Void schedule(Scheduler scheduler, String name, Date start) {
    try {
      JobDetail job = JobBuilder.newJob(Firings.RecordingJob.class).withIdentity(name).build();
      scheduler.scheduleJob(job, TriggerBuilder.newTrigger().withIdentity(name).startAt(start).build());
      return null;
    } catch (org.quartz.SchedulerException e) {
      throw new IllegalStateException(e);
    }
  }
}
