package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.shedlock.S3LockProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.support.LockException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/** Issue 5, security: no secret in logs or messages, no key outside the prefix, the bucket-owner header. */
class SecurityTest {

  private static final String CANARY_SECRET = "CANARYsecret0123456789abcdefghijklmnopqrs";
  private static final String CANARY_KEY_ID = "AKIACANARY0123456789";

  private final InMemoryClients memory = new InMemoryClients();

  @Test
  void theSecretAccessKeyAppearsInNoLogLineAndNoExceptionMessage() {
    Logger ours = (Logger) LoggerFactory.getLogger("io.github.s3lock");
    Logger sdk = (Logger) LoggerFactory.getLogger("software.amazon.awssdk");
    Level oursBefore = ours.getLevel();
    Level sdkBefore = sdk.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    // Everything s3-lock and the SDK log, down to DEBUG, goes to the list only (not to the build log).
    for (Logger logger : List.of(ours, sdk)) {
      logger.addAppender(logs);
      logger.setAdditive(false);
    }
    ours.setLevel(Level.TRACE);
    sdk.setLevel(Level.DEBUG);
    List<String> messages = new ArrayList<>();
    try {
      StaticCredentialsProvider canary = StaticCredentialsProvider.create(
          AwsBasicCredentials.create(CANARY_KEY_ID, CANARY_SECRET));
      S3LockClient ok = S3LockClient.builder().s3Client(memory.client(canary)).bucket(Simulation.BUCKET)
          .lockedBy("a").build();
      Lease lease = ok.tryAcquire("report", Instant.now().plusSeconds(1)).orElseThrow();
      ok.release(lease, Instant.now());
      for (AnswerWith failure : List.of(new AnswerWith("PUT", 403, "AccessDenied"),
          new AnswerWith("GET", 403, "SignatureDoesNotMatch"), new AnswerWith("PUT", 500, "InternalError"),
          new AnswerWith("PUT", 400, "InvalidRequest"))) {
        S3LockClient failing = S3LockClient.builder().s3Client(memory.client(canary, failure))
            .bucket(Simulation.BUCKET).lockedBy("b").probe(false).build();
        S3LockProvider provider = S3LockProvider.builder().s3Client(memory.client(canary, failure))
            .bucket(Simulation.BUCKET).probe(false).build();
        try {
          failing.tryAcquire("report", Instant.now().plusSeconds(1));
        } catch (S3LockException e) {
          collect(e, messages);
        }
        try {
          provider.lock(new LockConfiguration(Instant.now(), "report", Duration.ofSeconds(1), Duration.ZERO));
        } catch (LockException e) {
          collect(e, messages);
        }
      }
    } finally {
      for (Logger logger : List.of(ours, sdk)) {
        logger.detachAppender(logs);
        logger.setAdditive(true);
      }
      ours.setLevel(oursBefore);
      sdk.setLevel(sdkBefore);
    }
    logs.list.forEach(e -> messages.add(e.getFormattedMessage()));

    assertThat(messages).as("log lines and exception messages").hasSizeGreaterThan(8)
        .noneMatch(m -> m != null && m.contains(CANARY_SECRET));
  }

  @Test
  void noLockNameWritesOutsideThePrefix() {
    RecordingKeys keys = new RecordingKeys();
    S3LockClient locks = S3LockClient.builder()
        .s3Client(memory.client(AnonymousCredentialsProvider.create(), keys))
        .bucket(Simulation.BUCKET).keyPrefix("tenant-a/locks/").lockedBy("a").build();
    Random random = new Random(Long.getLong("seed", 5L));
    String[] hostile = {"..", ".", "../x", "/", "a/../../b", "%2e%2e", "\\..\\", "\u0000", "tenant-b/locks/x",
        "\u2025", "\uff0e\uff0e", "?x=1", "#frag", " "};
    List<String> names = new ArrayList<>(List.of(hostile));
    for (int i = 0; i < 300; i++) {
      StringBuilder name = new StringBuilder();
      for (int c = 1 + random.nextInt(12); c > 0; c--) {
        name.append(random.nextInt(4) == 0 ? "./\\%".charAt(random.nextInt(4)) : (char) (1 + random.nextInt(0x2FF)));
      }
      names.add(name.toString());
    }
    for (String name : names) {
      locks.tryAcquire(name, Instant.now().plusSeconds(1)).ifPresent(l -> locks.release(l, Instant.now()));
    }

    assertThat(keys.keys).hasSize((int) names.stream().distinct().count());
    assertThat(keys.keys.keySet()).allSatisfy(key -> {
      assertThat(key).startsWith("tenant-a/locks/");
      assertThat(key.substring("tenant-a/locks/".length())).doesNotContain("/")
          .isNotIn(".", "..");
    });
  }

  @Test
  void sendsTheExpectedBucketOwnerOnEveryRequest() {
    RecordingKeys requests = new RecordingKeys();
    S3LockClient locks = S3LockClient.builder()
        .s3Client(memory.client(AnonymousCredentialsProvider.create(), requests))
        .bucket(Simulation.BUCKET).lockedBy("a").expectedBucketOwner("111122223333").build();
    Lease lease = locks.tryAcquire("report", Instant.now().plusSeconds(1)).orElseThrow();
    locks.release(lease, Instant.now());
    locks.read("report");

    assertThat(requests.owners).hasSizeGreaterThanOrEqualTo(3).containsOnly("111122223333");
  }

  private static void collect(Throwable e, List<String> messages) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages.add(t.getMessage());
      messages.add(t.toString());
      for (Throwable s : t.getSuppressed()) {
        messages.add(s.toString());
      }
    }
  }

  /** Records the decoded key and the bucket-owner header of every request sent. */
  private static final class RecordingKeys implements ExecutionInterceptor {
    final Map<String, Boolean> keys = new ConcurrentHashMap<>();
    final List<String> owners = new ArrayList<>();

    @Override
    public synchronized void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
      String path = SimHttpClient.decode(context.httpRequest().encodedPath());
      String key = path.substring(path.indexOf('/', 1) + 1);
      if (!key.contains(".s3-lock-")) {
        keys.put(key, true);
      }
      owners.add(context.httpRequest().firstMatchingHeader("x-amz-expected-bucket-owner").orElse("<none>"));
    }
  }
}
