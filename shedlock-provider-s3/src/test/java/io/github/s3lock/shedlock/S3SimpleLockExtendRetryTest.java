package io.github.s3lock.shedlock;

import static java.time.Duration.ZERO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.FaultInjector.Fault;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.TestStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.support.LockException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The retry loop of {@link S3SimpleLock#doExtend} on its own: the pauses it takes (on a frozen clock that only the
 * pauses move), when it gives up, and what it leaves behind. The faults are 409 ConditionalRequestConflict, not
 * applied: the core reads back and tries again as for a 5xx, and the SDK does not retry them, so rounds are fast.
 */
class S3SimpleLockExtendRetryTest {

  /** Each extension round of the core: that many conditional writes before it reports S3 unavailable. */
  private static final int WRITES_PER_ROUND = 3;

  private final TestStore store = TestStore.embedded();
  private final FaultInjector faults = new FaultInjector();
  private final MovableClock clock = MovableClock.frozenAt(Instant.now());
  private final List<Duration> pauses = new CopyOnWriteArrayList<>();
  private S3Client s3;
  private String bucket;

  @BeforeEach
  void createBucket() {
    s3 = store.newClient(faults);
    bucket = store.newBucket(s3);
  }

  @AfterEach
  void closeClient() {
    s3.close();
  }

  @Test
  void pausesDoubleFromATenthOfASecondUpToTwoSecondsAndNeverOutlastTheLockUntilAskedFor() {
    S3LockProvider provider = provider(this::advanceClock);
    LockConfiguration config = config(Duration.ofSeconds(10));
    SimpleLock lock = provider.lock(config).orElseThrow();
    LockRecord before = record(config.getName());
    failWrites(1000);

    assertThat(lock.extend(Duration.ofSeconds(30), ZERO)).isEmpty();

    // A failed write may have been applied, and then the lock is ours until the 30 s asked for: the retries go on
    // until then, never beyond.
    assertThat(pauses).startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400),
        Duration.ofMillis(800), Duration.ofMillis(1600), Duration.ofSeconds(2));
    assertThat(pauses).allSatisfy(p -> assertThat(p).isLessThanOrEqualTo(Duration.ofSeconds(2)));
    Duration waited = pauses.stream().reduce(Duration.ZERO, Duration::plus);
    assertThat(waited).isBetween(Duration.ofSeconds(28), Duration.ofSeconds(31));
    assertThat(faults.injected()).as("writes: one round before each pause, one after the last, one last chance")
        .isEqualTo(WRITES_PER_ROUND * (pauses.size() + 2));
    assertThat(record(config.getName())).isEqualTo(before);
    assertThat(S3LockProvider.currentFencingToken(config.getName())).as("token of a lease that is gone").isEmpty();
  }

  @Test
  void extendsOnceS3AnswersAgain() {
    S3LockProvider provider = provider(this::advanceClock);
    LockConfiguration config = config(Duration.ofSeconds(10));
    S3SimpleLock lock = (S3SimpleLock) provider.lock(config).orElseThrow();
    failWrites(WRITES_PER_ROUND + 1);

    Optional<SimpleLock> extended = lock.extend(Duration.ofSeconds(30), ZERO);

    assertThat(extended).isPresent();
    assertThat(pauses).containsExactly(Duration.ofMillis(100));
    assertThat(faults.pending()).isZero();
    assertThat(record(config.getName()).lockUntil()).isAfter(config.getLockAtMostUntil());
    assertThat(((S3SimpleLock) extended.get()).fencingToken()).isEqualTo(lock.fencingToken());
    assertThat(S3LockProvider.currentFencingToken(config.getName())).hasValue(lock.fencingToken());
    extended.get().unlock();
  }

  @Test
  void aFailureThatWaitingCannotFixIsThrownAtOnce() {
    S3LockProvider provider = provider(this::advanceClock);
    LockConfiguration config = config(Duration.ofSeconds(10));
    SimpleLock lock = provider.lock(config).orElseThrow();
    s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()
        .forEach(o -> s3.deleteObject(b -> b.bucket(bucket).key(o.key())));
    s3.deleteBucket(b -> b.bucket(bucket));

    assertThatThrownBy(() -> lock.extend(Duration.ofSeconds(30), ZERO))
        .isInstanceOf(LockException.class)
        .hasMessageContaining(bucket)
        .cause().isInstanceOfSatisfying(S3LockException.class,
            e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.BUCKET_NOT_FOUND));
    assertThat(pauses).isEmpty();
  }

  @Test
  void anInterruptedPauseStopsExtendingAndKeepsTheInterrupt() {
    S3LockProvider provider = provider(nanos -> {
      pauses.add(Duration.ofNanos(nanos));
      Thread.currentThread().interrupt(); // as the default pause leaves an interrupted sleep
    });
    LockConfiguration config = config(Duration.ofSeconds(10));
    S3SimpleLock lock = (S3SimpleLock) provider.lock(config).orElseThrow();
    failWrites(WRITES_PER_ROUND);

    Optional<SimpleLock> extended;
    List<String> warnings;
    try (CapturedWarnings captured = CapturedWarnings.of(S3SimpleLock.class)) {
      extended = lock.extend(Duration.ofSeconds(30), ZERO);
      warnings = captured.messages();
    } finally {
      assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
    }

    assertThat(extended).isEmpty();
    assertThat(pauses).hasSize(1);
    assertThat(warnings).singleElement().asString()
        .contains("'" + config.getName() + "'", config.getLockAtMostUntil().toString(), "interrupted");
    assertThat(S3LockProvider.currentFencingToken(config.getName())).as("the lease lasts until lockAtMostUntil")
        .hasValue(lock.fencingToken());
  }

  @Test
  void theDefaultPauseReturnsAtOnceWhenInterruptedAndKeepsTheInterrupt() {
    S3LockProvider provider = S3LockProvider.builder().s3Client(s3).bucket(bucket).build();
    long started = System.nanoTime();

    Thread.currentThread().interrupt();
    provider.pauseBeforeExtendRetry(Duration.ofMinutes(1));

    assertThat(Thread.interrupted()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
  }

  private S3LockProvider provider(LongConsumer pause) {
    S3LockProvider provider = S3LockProvider.builder().s3Client(s3).bucket(bucket).clock(clock)
        .extendRetryPause(pause).build();
    // The conformance probe, before any fault is queued.
    provider.lock(config(Duration.ofSeconds(10))).orElseThrow().unlock();
    return provider;
  }

  private void advanceClock(long nanos) {
    pauses.add(Duration.ofNanos(nanos));
    clock.advance(Duration.ofNanos(nanos));
  }

  private void failWrites(int count) {
    for (int i = 0; i < count; i++) {
      faults.next(Fault.NOT_APPLIED_409);
    }
  }

  private LockConfiguration config(Duration lockAtMostFor) {
    return new LockConfiguration(clock.instant(), "job-" + UUID.randomUUID(), lockAtMostFor, ZERO);
  }

  private LockRecord record(String name) {
    S3LockClient reader = S3LockClient.builder().s3Client(s3).bucket(bucket)
        .keyPrefix(S3LockProvider.DEFAULT_KEY_PREFIX).probe(false).build();
    return reader.read(name).orElseThrow();
  }
}
