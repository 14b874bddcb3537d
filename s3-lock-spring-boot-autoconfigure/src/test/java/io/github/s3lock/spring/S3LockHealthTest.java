package io.github.s3lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.RequestCounter;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import software.amazon.awssdk.services.s3.S3Client;

/** The {@code s3lock} health indicator as Actuator's health endpoint shows it. */
class S3LockHealthTest {

  @RegisterExtension
  static final TestBucket BUCKET = new TestBucket();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(S3LockAutoConfiguration.class, S3LockHealthAutoConfiguration.class))
      .withPropertyValues("s3lock.startup-check=off");

  @Test
  void isUpWithTheStoreAndAnswersFromOneGetWhilePolled() {
    RequestCounter requests = new RequestCounter();
    runner.withBean(S3Client.class, () -> BUCKET.store.newClient(requests))
        .withPropertyValues("s3lock.bucket=" + BUCKET.name())
        .run(context -> {
          HealthIndicator indicator = context.getBean("s3lockHealthIndicator", HealthIndicator.class);
          Health health = indicator.health();
          for (int poll = 0; poll < 5; poll++) {
            assertThat(indicator.health()).isSameAs(health);
          }

          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("store", "s3://" + BUCKET.name() + "/shedlock/ at "
              + BUCKET.store.endpoint().orElseThrow()).containsEntry("answer", "the store answered a GET")
              .containsKey("checkedAt");
          assertThat(requests.requests()).hasToString("[GET=404]");
        });
  }

  @Test
  void checksAgainOnceTheTimeToLiveHasPassed() {
    RequestCounter requests = new RequestCounter();
    try (S3Client counted = BUCKET.store.newClient(requests)) {
      AtomicLong nanos = new AtomicLong();
      S3LockHealthIndicator indicator = new S3LockHealthIndicator(new LockStoreCheck(counted, BUCKET.name(),
          "shedlock/", false), Duration.ofSeconds(30), nanos::get);

      indicator.health();
      nanos.addAndGet(Duration.ofSeconds(29).toNanos());
      indicator.health();
      assertThat(requests.total()).isEqualTo(1);
      nanos.addAndGet(Duration.ofSeconds(1).toNanos());
      indicator.health();
      assertThat(requests.requests()).hasToString("[GET=404, GET=404]");
    }
  }

  @Test
  void isDownWithTheCauseAndTheFixWhenTheBucketIsGone() {
    String missing = "s3lock-missing-" + UUID.randomUUID().toString().substring(0, 8);
    runner.withBean(S3Client.class, () -> BUCKET.store.newClient()).withPropertyValues("s3lock.bucket=" + missing)
        .run(context -> {
          Health health = context.getBean("s3lockHealthIndicator", HealthIndicator.class).health();

          assertThat(health.getStatus()).isEqualTo(Status.DOWN);
          assertThat(health.getDetails().get("error")).asString().startsWith("Bucket '" + missing + "' does not"
              + " exist (404 NoSuchBucket) on GET s3://" + missing + "/shedlock/").endsWith("Create it, or fix the"
              + " bucket name.");
        });
  }

  @Test
  void isUpWhenS3Answers403ForTheMissingKeyAsItDoesWithoutListBucket() {
    runner.withBean(S3Client.class, () -> BUCKET.store.newClient(new FaultInjector().missingAsDenied(true)))
        .withPropertyValues("s3lock.bucket=" + BUCKET.name())
        .run(context -> {
          Health health = context.getBean("s3lockHealthIndicator", HealthIndicator.class).health();

          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("answer", "the store answered a GET with 403, as S3 does"
              + " for a missing key without s3:ListBucket");
        });
  }

  @Test
  void isAbsentWithoutActuatorAndTheRestStillWorks() {
    runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .withBean(S3Client.class, () -> BUCKET.store.newClient()).withPropertyValues("s3lock.bucket=" + BUCKET.name())
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(io.github.s3lock.shedlock.S3LockProvider.class)
            .doesNotHaveBean("s3lockHealthIndicator"));
  }

  @Test
  void canBeTurnedOffLikeAnyHealthIndicator() {
    runner.withBean(S3Client.class, () -> BUCKET.store.newClient())
        .withPropertyValues("s3lock.bucket=" + BUCKET.name(), "management.health.s3lock.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("s3lockHealthIndicator"));
  }
}
