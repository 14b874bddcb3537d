package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.testing.MovableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StoreClockTest {

  private final MovableClock local = MovableClock.frozenAt(Instant.parse("2030-01-01T00:00:00Z"));

  private static Optional<String> date(Instant serverTime) {
    return Optional.of(DateTimeFormatter.RFC_1123_DATE_TIME.format(serverTime.atOffset(ZoneOffset.UTC)));
  }

  @Test
  void theBoundsAlwaysContainTheStoresTrueTimeWhateverTheRoundTrip() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 10_000; i++) {
      StoreClock clock = new StoreClock(TimeMode.SERVER, local);
      Duration trueOffset = Duration.ofMillis(random.nextInt(600_000) - 300_000);
      for (int sample = 0; sample < 3; sample++) {
        Instant sent = local.instant();
        Duration toServer = Duration.ofMillis(random.nextInt(2_500)); // asymmetric, up to 2.5 s each way
        Duration back = Duration.ofMillis(random.nextInt(2_500));
        local.advance(toServer);
        Optional<String> stamped = date(local.instant().plus(trueOffset));
        local.advance(back);
        clock.observe(sent, local.instant(), stamped);
        local.advance(Duration.ofMillis(random.nextInt(5_000)));
        Instant truth = local.instant().plus(trueOffset);
        assertThat(clock.earliestNow()).as("seed %d", seed).isBeforeOrEqualTo(truth);
        assertThat(clock.latestNow()).as("seed %d", seed).isAfterOrEqualTo(truth);
      }
    }
  }

  @Test
  void aSlowAnswerDoesNotWidenTheBoundsOfATighterRecentOne() {
    StoreClock clock = new StoreClock(TimeMode.SERVER, local);
    Instant sent = local.instant();
    local.advance(Duration.ofMillis(20));
    clock.observe(sent, local.instant(), date(local.instant()));
    Duration tight = Duration.between(clock.earliestNow(), clock.latestNow());
    sent = local.instant();
    local.advance(Duration.ofSeconds(3));
    clock.observe(sent, local.instant(), date(local.instant()));
    assertThat(Duration.between(clock.earliestNow(), clock.latestNow())).isLessThanOrEqualTo(tight.plusMillis(10)); // drift allowance: 1 ms per second of age, each side
    assertThat(tight).isLessThan(Duration.ofMillis(1_100));
  }

  @Test
  void clientModeIsTheLocalClock() {
    StoreClock clock = new StoreClock(TimeMode.CLIENT, local);
    clock.observe(local.instant(), local.instant(), date(local.instant().plusSeconds(3600)));
    assertThat(clock.earliestNow()).isEqualTo(local.instant());
    assertThat(clock.latestNow()).isEqualTo(local.instant());
    assertThat(clock.now()).isEqualTo(local.instant());
    assertThat(clock.skew()).hasValueSatisfying(s -> assertThat(s).isBetween(Duration.ofMinutes(59),
        Duration.ofMinutes(61)));
  }
}
