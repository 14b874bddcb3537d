package io.github.s3lock.quartz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.TestStore;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quartz.impl.jdbcjobstore.LockException;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 client that {@link S3Semaphore} builds from its properties: every call ends well within a renewal period.
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
}
