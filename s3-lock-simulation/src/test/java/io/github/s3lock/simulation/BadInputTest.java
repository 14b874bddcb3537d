package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.core.TimeMode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Hostile conditions of {@code docs/reliability.md} that the core's contract suite does not already cover:
 * each gets a clear error, or a documented safe behaviour.
 */
class BadInputTest {

  private final InMemoryClients memory = new InMemoryClients();

  private S3LockClient client(S3Client s3) {
    return S3LockClient.builder().s3Client(s3).bucket(Simulation.BUCKET).lockedBy("test").build();
  }

  @Test
  void accessDeniedOnPutNamesTheActionAndTheResourceToGrant() {
    S3LockClient locks = client(memory.client(AnonymousCredentialsProvider.create(),
        new AnswerWith("PUT", 403, "AccessDenied")));

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.ACCESS_DENIED))
        .hasMessageContaining("s3:PutObject").hasMessageContaining("arn:aws:s3:::" + Simulation.BUCKET + "/locks/");
  }

  @Test
  void accessDeniedOnGetNamesTheActionAndTheResourceToGrant() {
    S3LockClient holder = client(memory.client(AnonymousCredentialsProvider.create()));
    assertThat(holder.tryAcquire("report", Instant.now().plusSeconds(10))).isPresent();
    S3LockClient locks = client(memory.client(AnonymousCredentialsProvider.create(),
        new AnswerWith("GET", 403, "AccessDenied")));
    // The probe (run by the first attempt) only writes; the attempt then reads the holder's record.

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.ACCESS_DENIED))
        .hasMessageContaining("s3:GetObject").hasMessageContaining("locks/report");
  }

  @Test
  void aBucketInAnotherRegionSaysSo() {
    S3LockClient locks = client(memory.client(AnonymousCredentialsProvider.create(),
        new AnswerWith("PUT", 301, "PermanentRedirect")));

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.WRONG_REGION))
        .hasMessageContaining("region");
  }

  @Test
  void anUnreachableEndpointIsUnavailableAndNoLockIsClaimed() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort(); // free now, closed when the client connects
    }
    S3Client s3 = S3Client.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .endpointOverride(URI.create("http://127.0.0.1:" + closedPort))
        .forcePathStyle(true)
        .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD))
        .build();
    S3LockClient locks = S3LockClient.builder().s3Client(s3).bucket(Simulation.BUCKET).lockedBy("test")
        .probe(false).build();

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE))
        .hasMessageContaining(Simulation.BUCKET).hasMessageContaining("endpoint");
  }

  @Test
  void aHugeObjectUnderTheLockKeyIsRefusedAsCorrupt() {
    memory.store.putRaw(Simulation.BUCKET, "locks/report", "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8));
    S3LockClient locks = client(memory.client(AnonymousCredentialsProvider.create()));

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.CORRUPT_RECORD))
        .hasMessageContaining("locks/report").hasMessageContaining("larger than");
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json at all", "{\"format\":2,\"name\":\"report\"}",
      "{\"format\":1,\"name\":\"report\"}", "{\"lockUntil\":1,\"owner\":\"x\"}"})
  void aForeignOrNewerBodyIsRefusedAndNamesTheKey(String body) {
    memory.store.putRaw(Simulation.BUCKET, "locks/report", body.getBytes(StandardCharsets.UTF_8));
    S3LockClient locks = client(memory.client(AnonymousCredentialsProvider.create()));

    assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(10)))
        .isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.CORRUPT_RECORD))
        .hasMessageContaining("s3://" + Simulation.BUCKET + "/locks/report");
  }

  @Test
  void serverTimeIgnoresNodeClocksThatAreMinutesOff() {
    S3LockClient behind = clockedClient(TimeMode.SERVER, Duration.ofMinutes(-7));
    S3LockClient ahead = clockedClient(TimeMode.SERVER, Duration.ofMinutes(9));
    // Server time is known from the first dated response on: a read (404 here) brings one.
    assertThat(behind.read("report")).isEmpty();
    assertThat(ahead.read("report")).isEmpty();
    Optional<Lease> lease = behind.tryAcquire("report", behind.now().plusSeconds(30));
    assertThat(lease).isPresent();

    assertThat(ahead.tryAcquire("report", ahead.now().plusSeconds(30))).isEmpty();
  }

  /**
   * The documented limit of client time: a node whose clock runs minutes ahead takes over a lock that is
   * still held. This is why server time exists; the simulation keeps client-time clocks within their bound.
   */
  @Test
  void clientTimeTrustsNodeClocksSoOneMinutesAheadTakesOverEarly() {
    S3LockClient accurate = clockedClient(TimeMode.CLIENT, Duration.ZERO);
    S3LockClient ahead = clockedClient(TimeMode.CLIENT, Duration.ofMinutes(9));
    Optional<Lease> first = accurate.tryAcquire("report", Instant.now().plusSeconds(30));
    assertThat(first).isPresent();

    Optional<Lease> early = ahead.tryAcquire("report", ahead.now().plusSeconds(30));

    assertThat(early).isPresent();
    // Fenced: downstream systems can still tell the two apart.
    assertThat(early.get().token()).isGreaterThan(first.get().token());
  }

  private S3LockClient clockedClient(TimeMode mode, Duration offset) {
    InstantSource clock = () -> Instant.now().plus(offset);
    return S3LockClient.builder().s3Client(memory.client(AnonymousCredentialsProvider.create()))
        .bucket(Simulation.BUCKET).lockedBy("node" + offset).timeMode(mode).clock(clock).build();
  }
}
