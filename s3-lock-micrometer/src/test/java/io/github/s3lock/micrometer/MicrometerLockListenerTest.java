package io.github.s3lock.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.TestStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** The meters as a real {@link S3LockClient} on the embedded S3 drives them. */
class MicrometerLockListenerTest {

  private static final TestStore STORE = TestStore.embedded();
  private static S3Client s3;
  private static String bucket;

  private final MovableClock clock = MovableClock.frozenAt(Instant.parse("2030-01-01T00:00:00Z"));
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final SimpleMeterRegistry otherRegistry = new SimpleMeterRegistry();
  private String prefix;

  @BeforeAll
  static void startStore() {
    s3 = STORE.newClient();
    bucket = STORE.newBucket(s3);
  }

  @AfterAll
  static void closeClient() {
    s3.close();
  }

  @BeforeEach
  void freshPrefix() {
    prefix = "metrics/" + System.nanoTime() + "/";
  }

  @Test
  void acquisitionCountsAnAttemptItsLatencyAndItsOnePut() {
    S3LockClient client = client(bucket, registry);

    assertThat(client.tryAcquire("report", clock.instant().plusSeconds(60))).isPresent();

    assertThat(attempts(registry, "report", "acquired")).isEqualTo(1);
    assertThat(attempts(registry, "report", "held")).isZero();
    Timer latency = registry.get(MicrometerLockListener.ACQUIRE_LATENCY).tag("lock", "report").timer();
    assertThat(latency.count()).isEqualTo(1);
    assertThat(latency.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
    // The probe is off, so the one request is the create.
    assertThat(requests(registry, "PUT", "200")).isEqualTo(1);
    assertThat(registry.get(MicrometerLockListener.REQUESTS).counters()).hasSize(1);
  }

  @Test
  void refusedAttemptIsCountedAsHeldWithTheRequestsThatFoundOut() {
    S3LockClient holder = client(bucket, registry);
    S3LockClient other = client(bucket, otherRegistry);
    assertThat(holder.tryAcquire("report", clock.instant().plusSeconds(60))).isPresent();

    assertThat(other.tryAcquire("report", clock.instant().plusSeconds(60))).isEmpty();

    assertThat(attempts(otherRegistry, "report", "held")).isEqualTo(1);
    assertThat(attempts(otherRegistry, "report", "acquired")).isZero();
    // A create that found the object there (412), then a read of who holds it.
    assertThat(requests(otherRegistry, "PUT", "412")).isEqualTo(1);
    assertThat(requests(otherRegistry, "GET", "200")).isEqualTo(1);
  }

  @Test
  void releaseRecordsTheHoldTimeInStoreTime() {
    S3LockClient client = client(bucket, registry);
    Lease lease = client.tryAcquire("report", clock.instant().plusSeconds(60)).orElseThrow();
    clock.advance(Duration.ofSeconds(5));

    assertThat(client.release(lease, clock.instant())).isTrue();

    Timer hold = registry.get(MicrometerLockListener.HOLD_TIME).tag("lock", "report").timer();
    assertThat(hold.count()).isEqualTo(1);
    assertThat(hold.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(5_000);
    assertThat(registry.find(MicrometerLockListener.LEASES_LOST).counter()).isNull();
  }

  @Test
  void leaseTakenOverAfterExpiryIsCountedAsLostOnRelease() {
    S3LockClient late = client(bucket, registry);
    S3LockClient next = client(bucket, otherRegistry);
    Lease expired = late.tryAcquire("report", clock.instant().plusSeconds(10)).orElseThrow();
    clock.advance(Duration.ofSeconds(11));
    assertThat(next.tryAcquire("report", clock.instant().plusSeconds(60))).isPresent();

    assertThat(late.release(expired, clock.instant())).isFalse();

    Counter lost = registry.get(MicrometerLockListener.LEASES_LOST).tag("lock", "report").counter();
    assertThat(lost.count()).isEqualTo(1);
    assertThat(registry.find(MicrometerLockListener.HOLD_TIME).timer()).isNull();
    assertThat(otherRegistry.find(MicrometerLockListener.LEASES_LOST).counter()).isNull();
  }

  @Test
  void failureIsCountedAsAnError() {
    S3LockClient client = client("s3lock-no-such-bucket-" + System.nanoTime(), registry);

    assertThatThrownBy(() -> client.tryAcquire("report", clock.instant().plusSeconds(60)))
        .isInstanceOf(S3LockException.class);

    assertThat(attempts(registry, "report", "error")).isEqualTo(1);
    assertThat(attempts(registry, "report", "acquired")).isZero();
    assertThat(requests(registry, "PUT", "404")).isEqualTo(1);
    assertThat(registry.get(MicrometerLockListener.ACQUIRE_LATENCY).tag("lock", "report").timer().count())
        .isEqualTo(1);
  }

  private S3LockClient client(String bucketName, SimpleMeterRegistry meters) {
    return S3LockClient.builder()
        .s3Client(s3)
        .bucket(bucketName)
        .keyPrefix(prefix)
        .clock(clock)
        // Off so that request counts are the lock operation's alone; the embedded S3 is known to conform.
        .probe(false)
        .listener(new MicrometerLockListener(meters))
        .build();
  }

  private static double attempts(SimpleMeterRegistry meters, String lock, String outcome) {
    return Optional.ofNullable(meters.find(MicrometerLockListener.ATTEMPTS).tags("lock", lock, "outcome", outcome)
        .counter()).map(Counter::count).orElse(0.0);
  }

  private static double requests(SimpleMeterRegistry meters, String method, String status) {
    return Optional.ofNullable(meters.find(MicrometerLockListener.REQUESTS).tags("method", method, "status", status)
        .counter()).map(Counter::count).orElse(0.0);
  }
}
