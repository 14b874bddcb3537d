package io.github.s3lock.core;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The time that lock records are written in ("store time"). In {@link TimeMode#CLIENT} it is the local clock.
 * In {@link TimeMode#SERVER} it is the local clock plus the offset to the store's clock, learned from the
 * {@code Date} header of the store's responses.
 *
 * <p>Why bounds and not an estimate: the store stamps {@code Date} somewhere between our sending the request and
 * receiving the answer, and truncates it to the second (RFC 9110). So one sample puts the offset in
 * {@code [Date - received, Date + 1 s - sent]}, an interval of 1 s plus the round trip. A point estimate is off by
 * up to half of that, and two nodes off in opposite directions after a slow answer (a 2 s latency spike) would
 * both believe they hold a lock; the simulation found exactly that. So expiry of someone else's lock is judged by
 * the lower bound ({@link #earliestNow()}) and our own lease by the upper bound ({@link #latestNow()}): whatever
 * the true store time, a holder stops trusting its lease before anyone else may take it. The tightest sample of
 * the last minute is kept (a slow answer does not widen the bounds), widened by 1 ms per second of its age for
 * local clock drift.
 */
final class StoreClock {

  private static final Duration KEEP_SAMPLE = Duration.ofMinutes(1);

  private final TimeMode mode;
  private final InstantSource local;
  private volatile Sample sample;
  private volatile Duration lastSkew;

  /** The offset interval one {@code Date} sample allows, and when it was taken (local time). */
  private record Sample(Duration low, Duration high, Instant at) {
    Duration width() {
      return high.minus(low);
    }

    Duration drift(Instant now) {
      return Duration.ofMillis(Math.max(0, Duration.between(at, now).toSeconds()));
    }
  }

  StoreClock(TimeMode mode, InstantSource local) {
    this.mode = mode;
    this.local = local;
  }

  Instant localNow() {
    return local.instant();
  }

  /** Best estimate of store time: what records are written with. */
  Instant now() {
    return toStore(local.instant());
  }

  /** Store time is at least this: judge whether someone else's lock has expired with it. */
  Instant earliestNow() {
    Instant now = local.instant();
    Sample s = sample;
    return mode == TimeMode.SERVER && s != null ? now.plus(s.low()).minus(s.drift(now)) : now;
  }

  /** Store time is at most this: judge whether our own lease is still valid with it. */
  Instant latestNow() {
    Instant now = local.instant();
    Sample s = sample;
    return mode == TimeMode.SERVER && s != null ? now.plus(s.high()).plus(s.drift(now)) : now;
  }

  /** A local instant (e.g. a ShedLock {@code lockAtMostUntil}) as store time (best estimate). */
  Instant toStore(Instant localInstant) {
    Sample s = sample;
    return mode == TimeMode.SERVER && s != null
        ? localInstant.plus(s.low().plus(s.width().dividedBy(2))) : localInstant;
  }

  /** True when store time is known: always in client mode, after the first response in server mode. */
  boolean calibrated() {
    return mode == TimeMode.CLIENT || sample != null;
  }

  /** The store's clock minus ours, as last measured (whatever the mode); empty before any response. */
  Optional<Duration> skew() {
    return Optional.ofNullable(lastSkew);
  }

  void observe(Instant sent, Instant received, Optional<String> dateHeader) {
    if (dateHeader.isEmpty()) {
      return;
    }
    Instant date;
    try {
      date = ZonedDateTime.parse(dateHeader.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return;
    }
    Sample fresh = new Sample(Duration.between(received, date), Duration.between(sent, date.plusSeconds(1)),
        received);
    lastSkew = fresh.low().plus(fresh.width().dividedBy(2));
    Sample kept = sample;
    if (kept == null || fresh.width().compareTo(kept.width().plus(kept.drift(received))) <= 0
        || Duration.between(kept.at(), received).compareTo(KEEP_SAMPLE) > 0) {
      sample = fresh;
    }
  }
}
