package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.testing.MovableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StoreClockTest {

  /** The node's wall clock, which steps; {@link #ticks} is its monotonic clock, which does not. */
  private final MovableClock wall = MovableClock.frozenAt(Instant.parse("2030-01-01T00:00:00Z"));
  private final AtomicLong ticks = new AtomicLong(1_000_000_000L);

  private void elapse(Duration d) {
    wall.advance(d);
    ticks.addAndGet(d.toNanos());
  }

  private StoreClock clock(TimeMode mode) {
    return new StoreClock(mode, wall, ticks::get);
  }

  private static Optional<String> date(Instant serverTime) {
    return Optional.of(DateTimeFormatter.RFC_1123_DATE_TIME.format(serverTime.atOffset(ZoneOffset.UTC)));
  }

  /**
   * One request to a store whose clock is {@code storeTime}: {@code toServer} to get there, {@code back} to
   * return; the store stamps Date on arrival.
   */
  private void exchange(StoreClock clock, Instant[] storeTime, Duration toServer, Duration back) {
    long sent = clock.tick();
    elapse(toServer);
    storeTime[0] = storeTime[0].plus(toServer);
    Optional<String> stamped = date(storeTime[0]);
    elapse(back);
    storeTime[0] = storeTime[0].plus(back);
    clock.observe(sent, clock.tick(), stamped);
  }

  @Test
  void theBoundsContainTheStoresTrueTimeWhateverTheRoundTripAndTheWallClockSteps() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 10_000; i++) {
      StoreClock clock = clock(TimeMode.SERVER);
      Instant[] truth = {wall.instant().plusMillis(random.nextInt(600_000) - 300_000)};
      for (int sample = 0; sample < 4; sample++) {
        // asymmetric, up to 2.5 s each way
        exchange(clock, truth, Duration.ofMillis(random.nextInt(2_500)), Duration.ofMillis(random.nextInt(2_500)));
        Duration pause = Duration.ofMillis(random.nextInt(5_000));
        elapse(pause);
        truth[0] = truth[0].plus(pause);
        if (random.nextInt(3) == 0) {
          wall.advance(Duration.ofMillis(random.nextInt(20_000) - 10_000)); // NTP step, VM resume: either way
        }
        assertThat(clock.earliestNow()).as("seed %d", seed).isBeforeOrEqualTo(truth[0]);
        assertThat(clock.latestNow()).as("seed %d", seed).isAfterOrEqualTo(truth[0]);
      }
    }
  }

  @Test
  void aWallClockStepForwardMovesNeitherBound() {
    StoreClock clock = clock(TimeMode.SERVER);
    Instant[] truth = {wall.instant()};
    exchange(clock, truth, Duration.ofMillis(10), Duration.ofMillis(10));
    Instant earliest = clock.earliestNow();
    Instant latest = clock.latestNow();

    wall.advance(Duration.ofSeconds(5)); // contender: must not see a held lock expire 5 s early

    assertThat(clock.earliestNow()).isEqualTo(earliest).isBeforeOrEqualTo(truth[0]);
    assertThat(clock.latestNow()).isEqualTo(latest);
  }

  @Test
  void aWallClockStepBackMovesNeitherBound() {
    StoreClock clock = clock(TimeMode.SERVER);
    Instant[] truth = {wall.instant()};
    exchange(clock, truth, Duration.ofMillis(10), Duration.ofMillis(10));
    Instant latest = clock.latestNow();

    wall.advance(Duration.ofSeconds(-5)); // holder: must not trust its lease 5 s longer

    assertThat(clock.latestNow()).isEqualTo(latest).isAfterOrEqualTo(truth[0]);
  }

  @Test
  void aLocalDeadlineIsConvertedAsTheTimeFromNowWhateverTheWallClockDid() {
    StoreClock clock = clock(TimeMode.SERVER);
    Instant[] truth = {wall.instant().plusSeconds(3600)};
    exchange(clock, truth, Duration.ofMillis(10), Duration.ofMillis(10));
    wall.advance(Duration.ofSeconds(7));
    Instant inOneMinute = wall.instant().plusSeconds(60);
    assertThat(clock.toStore(inOneMinute)).isBetween(truth[0].plusSeconds(59), truth[0].plusSeconds(62));
  }

  @Test
  void aSlowAnswerDoesNotWidenTheBoundsOfATighterRecentOne() {
    StoreClock clock = clock(TimeMode.SERVER);
    Instant[] truth = {wall.instant()};
    exchange(clock, truth, Duration.ofMillis(10), Duration.ofMillis(10));
    Duration tight = Duration.between(clock.earliestNow(), clock.latestNow());
    exchange(clock, truth, Duration.ofMillis(1500), Duration.ofMillis(1500));
    // drift allowance: 1 ms per second of the sample's age, on each side
    assertThat(Duration.between(clock.earliestNow(), clock.latestNow())).isLessThanOrEqualTo(tight.plusMillis(10));
    assertThat(tight).isLessThan(Duration.ofMillis(1_100));
  }

  @Test
  void serverTimeWithoutADateHeaderSaysSoInsteadOfFallingBackToTheLocalClock() {
    StoreClock clock = clock(TimeMode.SERVER);
    clock.observe(clock.tick(), clock.tick(), Optional.empty());
    clock.observe(clock.tick(), clock.tick(), Optional.of("not a date"));

    assertThat(clock.calibrated()).isFalse();
    assertThatThrownBy(clock::earliestNow).isInstanceOf(S3LockException.class)
        .hasMessageContaining("Date header").hasMessageContaining("TimeMode.CLIENT");
    assertThatThrownBy(clock::latestNow).isInstanceOf(S3LockException.class);
    assertThatThrownBy(clock::now).isInstanceOf(S3LockException.class);
  }

  @Test
  void clientModeIsTheLocalClock() {
    StoreClock clock = clock(TimeMode.CLIENT);
    clock.observe(clock.tick(), clock.tick(), date(wall.instant().plusSeconds(3600)));
    assertThat(clock.earliestNow()).isEqualTo(wall.instant());
    assertThat(clock.latestNow()).isEqualTo(wall.instant());
    assertThat(clock.now()).isEqualTo(wall.instant());
    assertThat(clock.skew()).hasValueSatisfying(s -> assertThat(s).isBetween(Duration.ofMinutes(59),
        Duration.ofMinutes(61)));
  }
}
