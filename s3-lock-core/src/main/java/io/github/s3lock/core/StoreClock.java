package io.github.s3lock.core;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The time that lock records are written in ("store time"). In {@link TimeMode#CLIENT} it is the local clock.
 * In {@link TimeMode#SERVER} it is the store's clock, learned from the {@code Date} header of its responses.
 *
 * <p>Why bounds and not an estimate: the store stamps {@code Date} somewhere between our sending the request and
 * receiving the answer, and truncates it to the second (RFC 9110). So when the answer arrives, store time lies in
 * {@code [Date, Date + 1 s + round trip]}. A point estimate is off by up to half of that, and two nodes off in
 * opposite directions after a slow answer (a 2 s latency spike) would both believe they hold a lock; the
 * simulation found exactly that. So expiry of someone else's lock is judged by the lower bound
 * ({@link #earliestNow()}) and our own lease by the upper bound ({@link #latestNow()}): whatever the true store
 * time, a holder stops trusting its lease before anyone else may take it.
 *
 * <p>Why a monotonic clock: the bounds are carried forward from the moment of the answer by elapsed time on the
 * ticker ({@code System.nanoTime()}), never by the wall clock, which an NTP step, a VM resume or an operator can
 * move by seconds. Carrying them on the wall clock put the lower bound 4.6 s ahead of the truth after a +5 s step,
 * so a contender took a held lock early. Elapsed time is widened by 1 ms per second (1,000 ppm, far beyond a
 * quartz oscillator's error) on each side. The tightest sample of the last minute is kept, so a slow answer does
 * not widen the bounds. The wall clock is only read to convert a caller's local instant (ShedLock's
 * {@code lockAtMostUntil}) into store time, as "that far from now".
 */
final class StoreClock {

  private static final long KEEP_SAMPLE_NANOS = Duration.ofMinutes(1).toNanos();

  private final TimeMode mode;
  private final InstantSource local;
  private final LongSupplier ticker;
  private volatile Sample sample;
  private volatile Duration lastSkew;

  /** Store time lies in {@code [low, high]} at ticker reading {@code at}. */
  private record Sample(Instant low, Instant high, long at) {
    long widthNanos(long now) {
      return Duration.between(low, high).toNanos() + 2 * drift(now);
    }

    Instant low(long now) {
      return low.plusNanos(now - at - drift(now));
    }

    Instant high(long now) {
      return high.plusNanos(now - at + drift(now));
    }

    private long drift(long now) {
      return Math.max(0, now - at) / 1000;
    }
  }

  StoreClock(TimeMode mode, InstantSource local, LongSupplier ticker) {
    this.mode = mode;
    this.local = local;
    this.ticker = ticker;
  }

  /** The monotonic clock, in nanoseconds: stamps requests for {@link #observe}. */
  long tick() {
    return ticker.getAsLong();
  }

  /** Best estimate of store time: what records are written with. */
  Instant now() {
    if (mode == TimeMode.CLIENT) {
      return local.instant();
    }
    long now = tick();
    Sample s = calibratedSample();
    Instant low = s.low(now);
    return low.plusNanos(Duration.between(low, s.high(now)).toNanos() / 2);
  }

  /** Store time is at least this: judge whether someone else's lock has expired with it. */
  Instant earliestNow() {
    return mode == TimeMode.CLIENT ? local.instant() : calibratedSample().low(tick());
  }

  /** Store time is at most this: judge whether our own lease is still valid with it. */
  Instant latestNow() {
    return mode == TimeMode.CLIENT ? local.instant() : calibratedSample().high(tick());
  }

  /** A local instant (e.g. a ShedLock {@code lockAtMostUntil}) as store time: as far from store time as from now. */
  Instant toStore(Instant localInstant) {
    if (mode == TimeMode.CLIENT) {
      return localInstant;
    }
    return now().plus(Duration.between(local.instant(), localInstant));
  }

  /** True when store time is known: always in client mode, after the first dated response in server mode. */
  boolean calibrated() {
    return mode == TimeMode.CLIENT || sample != null;
  }

  /** The store's clock minus ours, as last measured (whatever the mode); empty before any response. */
  Optional<Duration> skew() {
    return Optional.ofNullable(lastSkew);
  }

  /** Learns from the {@code Date} header of a response to a request sent at {@code sent} (a {@link #tick()}). */
  void observe(long sent, long received, Optional<String> dateHeader) {
    if (dateHeader.isEmpty()) {
      return;
    }
    Instant date;
    try {
      date = ZonedDateTime.parse(dateHeader.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return;
    }
    Sample fresh = new Sample(date, date.plusSeconds(1).plusNanos(Math.max(0, received - sent)), received);
    Instant mid = fresh.low().plusNanos(fresh.widthNanos(received) / 2);
    lastSkew = Duration.between(local.instant(), mid);
    Sample kept = sample;
    if (kept == null || fresh.widthNanos(received) <= kept.widthNanos(received)
        || received - kept.at() > KEEP_SAMPLE_NANOS) {
      sample = fresh;
    }
  }

  private Sample calibratedSample() {
    Sample s = sample;
    if (s == null) {
      // Falling back to the local clock would silently give up what server time promises (no clock sync).
      throw new S3LockException(S3LockException.Kind.STORE_NOT_CONFORMANT, "Server time mode needs the store's"
          + " clock, but no response has carried a usable Date header yet. Use TimeMode.CLIENT with this store,"
          + " or a store (or proxy) that sends Date (RFC 9110).");
    }
    return s;
  }
}
