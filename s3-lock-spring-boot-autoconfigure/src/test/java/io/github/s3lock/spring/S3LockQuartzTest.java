package io.github.s3lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.RequestCounter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.TriggerBuilder;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.quartz.LocalDataSourceJobStore;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Spring Boot's Quartz with {@code spring.quartz.job-store-type=jdbc} and {@code s3lock.quartz.enabled=true}, and
 * no hand-written lock handler properties: the cluster locks are in S3, on the application's S3Client bean.
 */
@ExtendWith(OutputCaptureExtension.class)
class S3LockQuartzTest {

  @RegisterExtension
  static final TestBucket BUCKET = new TestBucket();

  @Configuration(proxyBeanMethods = false)
  @EnableAutoConfiguration
  static class App {}

  /** Counts its runs. */
  public static class CountingJob implements Job {
    static final AtomicInteger RUNS = new AtomicInteger();

    @Override
    public void execute(JobExecutionContext context) {
      RUNS.incrementAndGet();
    }
  }

  @Test
  void quartzTakesItsLocksInS3OnTheApplicationsClient(CapturedOutput output) throws Exception {
    String scheduler = "boot-" + UUID.randomUUID().toString().substring(0, 8);
    RequestCounter requests = new RequestCounter();
    try (S3Client application = BUCKET.store.newClient(requests);
        ConfigurableApplicationContext context = start(application, scheduler, "s3lock.bucket=" + BUCKET.name(),
            "s3lock.quartz.enabled=true", "s3lock.locked-by=node-q")) {
      Scheduler quartz = context.getBean(Scheduler.class);
      assertThat(quartz.getMetaData().getJobStoreClass()).isEqualTo(LocalDataSourceJobStore.class);
      assertThat(quartz.getMetaData().isJobStoreClustered()).isTrue();
      assertThat(quartz.getSchedulerInstanceId()).isNotEqualTo("NON_CLUSTERED");

      CountingJob.RUNS.set(0);
      quartz.scheduleJob(JobBuilder.newJob(CountingJob.class).withIdentity("once").build(),
          TriggerBuilder.newTrigger().withIdentity("once").startNow().build());
      await().atMost(Duration.ofSeconds(30)).until(() -> CountingJob.RUNS.get() == 1
          && !quartz.checkExists(org.quartz.JobKey.jobKey("once")));

      S3LockClient reader = S3LockClient.builder().s3Client(BUCKET.s3()).bucket(BUCKET.name())
          .keyPrefix("quartz-locks/" + scheduler + "/QRTZ_/").probe(false).build();
      LockRecord trigger = reader.read("TRIGGER_ACCESS").orElseThrow();
      assertThat(trigger.lockedBy()).isEqualTo("node-q");
      assertThat(reader.read("STATE_ACCESS")).isPresent();
      // Through the application's client: its counter saw the lock writes.
      assertThat(requests.count("PUT")).isGreaterThan(2);
    }
    assertThat(output).contains("s3-lock start-up check of s3://" + BUCKET.name() + "/quartz-locks/ at "
        + BUCKET.store.endpoint().orElseThrow() + ": safe for locking").doesNotContain(" ERROR ");
  }

  @Test
  void anInMemoryJobStoreFailsTheStartNamingTheProperty(CapturedOutput output) {
    assertThatThrownBy(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
        .bannerMode(Banner.Mode.OFF)
        .properties("spring.jmx.enabled=false", "spring.quartz.job-store-type=memory", "s3lock.quartz.enabled=true")
        .properties(BUCKET.properties(null))
        .run().close()).hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START", "s3lock.quartz.enabled=true, but"
        + " spring.quartz.job-store-type is memory", "Set spring.quartz.job-store-type=jdbc (with a DataSource), or"
        + " remove s3lock.quartz.enabled.");
  }

  @Test
  void acquiringTriggersOutsideTheLockFailsTheStart(CapturedOutput output) {
    String scheduler = "boot-" + UUID.randomUUID().toString().substring(0, 8);
    assertThatThrownBy(() -> start(BUCKET.s3(), scheduler, "s3lock.bucket=" + BUCKET.name(),
        "s3lock.quartz.enabled=true",
        "spring.quartz.properties.org.quartz.jobStore.acquireTriggersWithinLock=false").close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START",
        "spring.quartz.properties.org.quartz.jobStore.acquireTriggersWithinLock=false: a clustered Quartz then"
            + " acquires triggers without any lock and fires some twice (Quartz issue #107)");
  }

  @Test
  void quartzWithoutABucketFailsTheStartNamingIt(CapturedOutput output) {
    String scheduler = "boot-" + UUID.randomUUID().toString().substring(0, 8);
    assertThatThrownBy(() -> start(BUCKET.s3(), scheduler, "s3lock.quartz.enabled=true").close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START", "s3lock.bucket is not set, so s3-lock created no"
        + " lock provider; s3lock.quartz.enabled=true needs it for Quartz's locks.");
  }

  /** A node with an H2 job store of its own (the locks are what it shares). */
  private static ConfigurableApplicationContext start(S3Client application, String scheduler, String... more) {
    List<String> properties = new ArrayList<>(List.of("spring.jmx.enabled=false",
        "spring.datasource.url=jdbc:h2:mem:" + scheduler + ";DB_CLOSE_DELAY=-1",
        "spring.quartz.job-store-type=jdbc", "spring.quartz.jdbc.initialize-schema=always",
        "spring.quartz.scheduler-name=" + scheduler));
    properties.addAll(List.of(more));
    return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).bannerMode(Banner.Mode.OFF)
        .properties(properties.toArray(String[]::new))
        .initializers(context -> context.getBeanFactory().registerSingleton("applicationS3Client", application))
        .run();
  }
}
