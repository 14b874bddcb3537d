package io.github.s3lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.micrometer.MicrometerLockListener;
import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.RequestCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import software.amazon.awssdk.services.s3.S3Client;

/** The auto-configuration in a real application context, locking on the embedded S3. */
class S3LockAutoConfigurationTest {

  @RegisterExtension
  static final TestBucket BUCKET = new TestBucket();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(S3LockAutoConfiguration.class));

  @Test
  void buildsTheProviderAndItsOwnClientFromProperties() {
    String prefix = uniquePrefix();
    runner.withPropertyValues(BUCKET.properties(prefix)).withPropertyValues("s3lock.locked-by=node-a")
        .run(context -> {
          assertThat(context).hasSingleBean(LockProvider.class).hasSingleBean(S3LockProvider.class);
          assertThat(context.getBean(S3LockAutoConfiguration.S3LockS3Client.class).owned()).isTrue();

          assertThat(lock(context.getBean(LockProvider.class), "report")).isPresent();

          String record = BUCKET.s3().getObjectAsBytes(b -> b.bucket(BUCKET.name()).key(prefix + "report"))
              .asUtf8String();
          assertThat(record).contains("\"node-a\"");
        });
  }

  @Test
  void closesItsOwnClientOnShutdown() {
    AtomicReference<S3Client> own = new AtomicReference<>();
    runner.withPropertyValues(BUCKET.properties(uniquePrefix()))
        .run(context -> own.set(context.getBean(S3LockAutoConfiguration.S3LockS3Client.class).client()));

    // The runner has closed the context: a closed SDK client refuses to send. The message is the SDK's HTTP client
    // (Apache HttpClient 5) refusing to lease a connection from the pool that closing the S3 client shut down.
    assertThatThrownBy(() -> own.get().headBucket(b -> b.bucket(BUCKET.name())))
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessage("Connection pool shut down");
  }

  @Test
  void usesTheApplicationsS3Client() {
    RequestCounter counter = new RequestCounter();
    S3Client application = BUCKET.store.newClient(counter);
    // No endpoint: a client of its own would go to AWS, and this lock would fail.
    runner.withBean(S3Client.class, () -> application)
        .withPropertyValues("s3lock.bucket=" + BUCKET.name(), "s3lock.key-prefix=" + uniquePrefix())
        .run(context -> {
          S3LockAutoConfiguration.S3LockS3Client used = context.getBean(S3LockAutoConfiguration.S3LockS3Client.class);
          assertThat(used.client()).isSameAs(application);
          assertThat(used.owned()).isFalse();

          assertThat(lock(context.getBean(LockProvider.class), "report")).isPresent();
          assertThat(counter.count("PUT")).isPositive();
        });
  }

  @Test
  void backsOffWhenTheApplicationHasALockProvider() {
    LockProvider own = configuration -> Optional.empty();
    runner.withBean(LockProvider.class, () -> own)
        .withPropertyValues(BUCKET.properties(uniquePrefix()))
        .run(context -> {
          assertThat(context).hasSingleBean(LockProvider.class).doesNotHaveBean(S3LockProvider.class);
          assertThat(context.getBean(LockProvider.class)).isSameAs(own);
        });
  }

  @Test
  void staysOffWithoutABucket() {
    runner.withPropertyValues("s3lock.region=us-east-1")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LockProvider.class)
            .doesNotHaveBean(S3LockAutoConfiguration.S3LockS3Client.class));
  }

  @Test
  void recordsMetersInTheApplicationsRegistry() {
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues(BUCKET.properties(uniquePrefix()))
        .run(context -> {
          assertThat(context).hasSingleBean(MicrometerLockListener.class);

          assertThat(lock(context.getBean(LockProvider.class), "report")).isPresent();

          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.get(MicrometerLockListener.ATTEMPTS).tags("lock", "report", "outcome", "acquired")
              .counter().count()).isEqualTo(1);
        });
  }

  @Test
  void usesTheApplicationsLockListenerInsteadOfTheMeters() {
    AtomicInteger attempts = new AtomicInteger();
    LockListener own = new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        attempts.incrementAndGet();
      }
    };
    runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean(LockListener.class, () -> own)
        .withPropertyValues(BUCKET.properties(uniquePrefix()))
        .run(context -> {
          assertThat(context).doesNotHaveBean(MicrometerLockListener.class);

          assertThat(lock(context.getBean(LockProvider.class), "report")).isPresent();

          assertThat(attempts).hasValue(1);
          assertThat(context.getBean(MeterRegistry.class).find(MicrometerLockListener.ATTEMPTS).counter()).isNull();
        });
  }

  @Test
  void worksWithoutMicrometerOnTheClasspath() {
    runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
        .withPropertyValues(BUCKET.properties(uniquePrefix()))
        .run(context -> {
          assertThat(context).hasSingleBean(S3LockProvider.class).doesNotHaveBean(LockListener.class);
          assertThat(lock(context.getBean(LockProvider.class), "report")).isPresent();
        });
  }

  @Test
  void isRegisteredForBootToFind() {
    // What @SpringBootApplication reads; the runner above is handed the class directly.
    assertThat(ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).getCandidates())
        .contains(S3LockAutoConfiguration.class.getName());
  }

  private static Optional<SimpleLock> lock(LockProvider provider, String name) {
    return provider.lock(new LockConfiguration(Instant.now(), name, Duration.ofMinutes(1), Duration.ZERO));
  }

  private static String uniquePrefix() {
    return "boot/" + UUID.randomUUID() + "/";
  }
}
