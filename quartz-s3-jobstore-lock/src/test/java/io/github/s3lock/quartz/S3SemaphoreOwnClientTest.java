package io.github.s3lock.quartz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.TestStore;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.jdbcjobstore.LockException;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 client that {@link S3Semaphore} builds from its properties: every call ends well within a renewal period,
 * and the client is closed when the scheduler shuts down. A client the user hands in is never closed.
 */
class S3SemaphoreOwnClientTest {

  private static S3Client s3;
  private static String bucket;

  @BeforeAll
  static void start() {
    // The SDK default credential chain reads these; S3Mock accepts any credentials.
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
    s3 = TestStore.embedded().newClient();
    bucket = TestStore.embedded().newBucket(s3);
  }

  @AfterAll
  static void stop() {
    s3.close();
  }

  @BeforeEach
  void reset() {
    RecordingS3Semaphore.CLIENTS.clear();
  }

  @Test
  void eachS3CallOfTheBuiltClientEndsWithinHalfARenewalPeriod() throws Exception {
    S3Semaphore semaphore = new S3Semaphore();
    semaphore.setRegion("us-east-1");
    semaphore.setEndpoint(EmbeddedS3.shared().endpoint().toString());
    semaphore.setLeaseMillis(6000); // Renewed every 2000 ms.

    try (S3Client built = semaphore.newS3Client()) {
      ClientOverrideConfiguration o = built.serviceClientConfiguration().overrideConfiguration();
      assertThat(o.apiCallTimeout()).contains(Duration.ofMillis(1000));
      assertThat(o.apiCallAttemptTimeout()).contains(Duration.ofMillis(500));
    }
  }

  @Test
  void aStoreThatNeverAnswersCannotHoldObtainLockBeyondItsTimeout() throws Exception {
    // The kernel completes connections into the backlog; nobody ever reads or answers them.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      S3Semaphore semaphore = new S3Semaphore();
      semaphore.setBucket(bucket);
      semaphore.setRegion("us-east-1");
      semaphore.setEndpoint("http://127.0.0.1:" + silent.getLocalPort());
      semaphore.setPathStyleAccess(true);
      semaphore.setLeaseMillis(3000);
      semaphore.setAcquireTimeoutMillis(1000);

      CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
        try {
          semaphore.obtainLock(null, "TRIGGER_ACCESS");
          return null;
        } catch (LockException e) {
          return Thread.currentThread().isInterrupted() ? new AssertionError("interrupt flag set", e) : e;
        }
      });

      // Without call timeouts the SDK waits 30 s per attempt for an answer (its default socket timeout).
      await().atMost(Duration.ofSeconds(15)).until(outcome::isDone);
      assertThat(outcome.get()).isInstanceOf(LockException.class).hasMessageContaining("S3 is unavailable");
    }
  }

  @Test
  void theClientBuiltFromThePropertiesIsClosedWhenTheSchedulerShutsDown() throws Exception {
    Scheduler scheduler = scheduler(Map.of());
    scheduler.start(); // Recovers jobs under TRIGGER_ACCESS: the lock handler builds its client.
    S3Client built = RecordingS3Semaphore.CLIENTS.get(0);
    built.headBucket(b -> b.bucket(bucket));

    scheduler.shutdown(true);

    // A closed SDK client refuses requests: its timeout scheduler rejects them (or, without timeouts, its Apache
    // connection pool says it is shut down).
    assertThatThrownBy(() -> built.headBucket(b -> b.bucket(bucket)))
        .isInstanceOfAny(RejectedExecutionException.class, IllegalStateException.class);
  }

  @Test
  void aClientFromTheUsersSupplierIsLeftOpen() throws Exception {
    Scheduler scheduler = scheduler(Map.of("s3ClientSupplier", UsersClient.class.getName()));
    scheduler.start();
    assertThat(RecordingS3Semaphore.CLIENTS).containsExactly(UsersClient.CLIENT);

    scheduler.shutdown(true);

    UsersClient.CLIENT.headBucket(b -> b.bucket(bucket));
  }

  private static Scheduler scheduler(Map<String, String> lockHandlerProperties) throws Exception {
    String name = "own-client-" + UUID.randomUUID().toString().substring(0, 8);
    H2JobStore.register(name, H2JobStore.create(name));
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", name);
    p.setProperty("org.quartz.threadPool.threadCount", "1");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
    p.setProperty("org.quartz.jobStore.dataSource", name);
    p.setProperty("org.quartz.jobStore.lockHandler.class", RecordingS3Semaphore.class.getName());
    p.setProperty("org.quartz.jobStore.lockHandler.bucket", bucket);
    p.setProperty("org.quartz.jobStore.lockHandler.endpoint", EmbeddedS3.shared().endpoint().toString());
    p.setProperty("org.quartz.jobStore.lockHandler.region", "us-east-1");
    p.setProperty("org.quartz.jobStore.lockHandler.pathStyleAccess", "true");
    lockHandlerProperties.forEach((k, v) -> p.setProperty("org.quartz.jobStore.lockHandler." + k, v));
    p.setProperty("org.quartz.plugin.s3Semaphore.class", "io.github.s3lock.quartz.S3SemaphoreShutdownPlugin");
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    SchedulerRepository.getInstance().remove(name);
    return scheduler;
  }

  /** The lock handler, configured by Quartz from the properties, that shows the tests which client it got. */
  public static class RecordingS3Semaphore extends S3Semaphore {
    static final List<S3Client> CLIENTS = new CopyOnWriteArrayList<>();

    @Override
    S3Client newS3Client() throws LockException {
      S3Client client = super.newS3Client();
      CLIENTS.add(client);
      return client;
    }
  }

  /** A user's {@code s3ClientSupplier}: the client is theirs. */
  public static class UsersClient implements Supplier<S3Client> {
    static final S3Client CLIENT = TestStore.embedded().newClient();

    @Override
    public S3Client get() {
      return CLIENT;
    }
  }
}
