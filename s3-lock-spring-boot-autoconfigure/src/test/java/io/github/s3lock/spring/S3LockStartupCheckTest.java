package io.github.s3lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.RequestCounter;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What a user sees when the lock store is set up wrong: the application's start, as Spring Boot reports it
 * ("APPLICATION FAILED TO START" with the cause and the action), or one log line with
 * {@code s3lock.startup-check=warn}.
 */
@ExtendWith(OutputCaptureExtension.class)
class S3LockStartupCheckTest {

  @RegisterExtension
  static final TestBucket BUCKET = new TestBucket();
  /**
   * As most applications run. S3Mock's jar (the embedded S3 of these tests) carries an application.properties with
   * spring.main.lazy-initialization=true, which an application without its own would pick up.
   */
  private static final String EAGER = "--spring.main.lazy-initialization=false";

  /** An application with s3-lock's auto-configuration and nothing that locks. */
  @Configuration(proxyBeanMethods = false)
  @ImportAutoConfiguration({S3LockAutoConfiguration.class, S3LockWithoutBucketAutoConfiguration.class})
  static class App {}

  /** An application whose @Scheduled tasks take ShedLock locks. */
  @Configuration(proxyBeanMethods = false)
  @EnableScheduling
  @EnableSchedulerLock(defaultLockAtMostFor = "PT1M")
  @ImportAutoConfiguration({S3LockAutoConfiguration.class, S3LockWithoutBucketAutoConfiguration.class})
  static class ShedLockApp {}

  @Test
  void aForgottenBucketFailsTheStartNamingTheProperty(CapturedOutput output) {
    assertThatThrownBy(() -> start(ShedLockApp.class, "s3lock.region=us-east-1").close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START",
        "s3lock.bucket is not set, so s3-lock created no lock provider; ShedLock's @EnableSchedulerLock is in use and"
            + " there is no LockProvider bean, so every @SchedulerLock task would fail when it first runs.",
        "Action:", "Set s3lock.bucket to the bucket for the lock objects");
  }

  @Test
  void anEmptyBucketIsNamedToo(CapturedOutput output) {
    assertThatThrownBy(() -> start(ShedLockApp.class, "s3lock.bucket= ").close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START", "s3lock.bucket is empty, so s3-lock created no lock"
        + " provider");
  }

  @Test
  void withNothingThatLocksAMissingBucketIsNoProblem(CapturedOutput output) {
    try (ConfigurableApplicationContext context = start(App.class, "s3lock.region=us-east-1")) {
      assertThat(context.isActive()).isTrue();
    }
    assertThat(output).doesNotContain("s3lock.bucket");
  }

  @Test
  void anUnreachableEndpointFailsTheStartWithTheConnectionError(CapturedOutput output) {
    int port = closedPort();
    assertThatThrownBy(() -> start(ShedLockApp.class, unreachable(port)).close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START",
        "s3-lock's start-up check of s3://" + BUCKET.name() + "/shedlock/ at http://127.0.0.1:" + port + " failed:",
        "with If-None-Match: * got no answer (Unable to execute HTTP request", "Connection refused",
        "Check the S3Client's endpoint and region",
        "To start anyway and only log it, set s3lock.startup-check=warn");
  }

  @Test
  void missingCredentialsFailTheStartNamingTheWaysToProvideThem(CapturedOutput output) {
    // The SDK's default chain must find nothing: no keys in the environment, no profile files, no instance role.
    assumeTrue(Stream.of("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .allMatch(name -> System.getenv(name) == null), "this environment provides AWS credentials");
    String[][] saved = {{"aws.accessKeyId", null}, {"aws.secretAccessKey", null},
        {"aws.sharedCredentialsFile", "/nonexistent/credentials"}, {"aws.configFile", "/nonexistent/config"},
        {"aws.disableEc2Metadata", "true"}};
    swapSystemProperties(saved);
    try {
      assertThatThrownBy(() -> start(ShedLockApp.class, BUCKET.properties(null)).close())
          .hasStackTraceContaining("S3LockStartupException");
    } finally {
      swapSystemProperties(saved);
    }

    assertThat(output).contains("APPLICATION FAILED TO START",
        "could not sign its first request: no AWS credentials (Unable to load credentials from any of the providers"
            + " in the chain",
        "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (~/.aws/credentials, SSO), or run with a"
            + " container or instance role");
  }

  @Test
  void aMissingBucketFailsTheStartNamingIt(CapturedOutput output) {
    String missing = "s3lock-missing-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> properties = new ArrayList<>(List.of(BUCKET.properties(null)));
    properties.set(0, "s3lock.bucket=" + missing);

    assertThatThrownBy(() -> start(ShedLockApp.class, properties.toArray(String[]::new)).close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START", "Bucket '" + missing + "' does not exist (404"
        + " NoSuchBucket)", "Create it, or fix the bucket name.");
  }

  @Test
  void aStoreThatIgnoresConditionalWritesFailsTheStart(CapturedOutput output) {
    S3Client ignoring = BUCKET.store.newClient(new FaultInjector().stripConditions(true));
    try {
      assertThatThrownBy(() -> start(ShedLockApp.class, ignoring, "s3lock.bucket=" + BUCKET.name()).close())
          .hasStackTraceContaining("S3LockStartupException");
    } finally {
      ignoring.close();
    }

    assertThat(output).contains("APPLICATION FAILED TO START", "s3-lock's start-up check of s3://" + BUCKET.name()
        + "/shedlock/ at " + BUCKET.store.endpoint().orElseThrow()
        + " failed: the store is not safe for locking: the store"
        + " ignores If-None-Match on PUT: two nodes could both create the same lock", "Use a store that honours"
        + " conditional writes (AWS S3, Ceph radosgw 16+).");
  }

  @Test
  void withWarnTheApplicationStartsAndLogsOneLine(CapturedOutput output) {
    int port = closedPort();
    List<String> properties = new ArrayList<>(List.of(unreachable(port)));
    properties.add("s3lock.startup-check=warn");
    try (ConfigurableApplicationContext context = start(ShedLockApp.class, properties.toArray(String[]::new))) {
      assertThat(context.isActive()).isTrue();
    }

    List<String> warnings = output.getOut().lines().filter(l -> l.contains("WARN") && l.contains("s3-lock")).toList();
    assertThat(warnings).singleElement().asString()
        .contains("s3-lock's start-up check of s3://" + BUCKET.name() + "/shedlock/ at http://127.0.0.1:" + port
            + " failed:")
        .contains("Connection refused")
        .endsWith("Locks fail until it is fixed (s3lock.startup-check=warn; set fail to stop the start instead).");
    assertThat(output).doesNotContain("APPLICATION FAILED TO START");
  }

  @Test
  void withOffNothingIsSentAtStart(CapturedOutput output) {
    RequestCounter requests = new RequestCounter();
    S3Client counted = BUCKET.store.newClient(requests);
    try (ConfigurableApplicationContext context = start(ShedLockApp.class, counted, "s3lock.bucket=" + BUCKET.name(),
        "s3lock.startup-check=off")) {
      assertThat(context.isActive()).isTrue();
    } finally {
      counted.close();
    }
    assertThat(requests.total()).isZero();
    assertThat(output).doesNotContain("start-up check");
  }

  @Test
  void aHealthyStoreIsConfirmedInOneInfoLine(CapturedOutput output) {
    try (ConfigurableApplicationContext context = start(ShedLockApp.class, BUCKET.properties(null))) {
      assertThat(context.isActive()).isTrue();
    }
    assertThat(output).containsPattern("INFO .* s3-lock start-up check of s3://" + BUCKET.name() + "/shedlock/ at "
        + BUCKET.store.endpoint().orElseThrow()
        + ": safe for locking \\(If-Match sends the ETag quoted\\) \\(\\d+ ms\\)");
  }

  @Test
  void theProviderTakesItsFirstLockWithoutProbingAgain() {
    RequestCounter requests = new RequestCounter();
    S3Client counted = BUCKET.store.newClient(requests);
    try (ConfigurableApplicationContext context = start(ShedLockApp.class, counted, "s3lock.bucket=" + BUCKET.name(),
        "s3lock.key-prefix=shedlock/" + UUID.randomUUID() + "/")) {
      assertThat(requests.count("PUT")).as("the start-up probe").isEqualTo(6);
      requests.reset();

      assertThat(context.getBean(LockProvider.class).lock(new LockConfiguration(Instant.now(), "report",
          Duration.ofMinutes(1), Duration.ZERO))).isPresent();
      assertThat(requests.requests()).hasToString("[PUT=200]");
    } finally {
      counted.close();
    }
  }

  @Test
  void aLazilyInitializedApplicationIsCheckedAtStartToo(CapturedOutput output) {
    int port = closedPort();
    assertThatThrownBy(() -> builder(ShedLockApp.class, unreachable(port))
        .run("--spring.main.lazy-initialization=true").close())
        .hasStackTraceContaining("S3LockStartupException");

    assertThat(output).contains("APPLICATION FAILED TO START", "Connection refused");
  }

  @Test
  void withTheProbeOffTheCheckIsOneRead(CapturedOutput output) {
    RequestCounter requests = new RequestCounter();
    S3Client counted = BUCKET.store.newClient(requests);
    try (ConfigurableApplicationContext context = start(ShedLockApp.class, counted, "s3lock.bucket=" + BUCKET.name(),
        "s3lock.probe=false")) {
      assertThat(context.isActive()).isTrue();
    } finally {
      counted.close();
    }
    assertThat(requests.requests()).hasToString("[GET=404]");
    assertThat(output).contains("s3-lock start-up check of s3://" + BUCKET.name() + "/shedlock/ at "
        + BUCKET.store.endpoint().orElseThrow() + ": the store answered a GET (");
  }

  private static ConfigurableApplicationContext start(Class<?> app, String... properties) {
    return builder(app, properties).run(EAGER);
  }

  /** With {@code s3} as the application's S3Client bean. */
  private static ConfigurableApplicationContext start(Class<?> app, S3Client s3, String... properties) {
    return builder(app, properties)
        .initializers(context -> context.getBeanFactory().registerSingleton("applicationS3Client", s3))
        .run(EAGER);
  }

  private static SpringApplicationBuilder builder(Class<?> app, String... properties) {
    return new SpringApplicationBuilder(app).web(WebApplicationType.NONE).bannerMode(Banner.Mode.OFF)
        .properties("spring.jmx.enabled=false").properties(properties);
  }

  private static String[] unreachable(int port) {
    return new String[] {"s3lock.bucket=" + BUCKET.name(), "s3lock.endpoint=http://127.0.0.1:" + port,
        "s3lock.region=us-east-1", "s3lock.path-style=true"};
  }

  /** Sets each {name, value} (null clears it) and keeps the previous value in its place, to swap back. */
  private static void swapSystemProperties(String[][] properties) {
    for (String[] p : properties) {
      String previous = System.getProperty(p[0]);
      if (p[1] == null) {
        System.clearProperty(p[0]);
      } else {
        System.setProperty(p[0], p[1]);
      }
      p[1] = previous;
    }
  }

  /** A loopback port that nothing listens on (it was free a moment ago). */
  private static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
