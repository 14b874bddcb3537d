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
 * In {@link TimeMode#SERVER} it is the local clock plus the offset to the store's clock, re-estimated from the
 * {@code Date} header of every response.
 *
 * <p>{@code Date} is truncated to whole seconds (RFC 9110), so the store's clock at the response lies in
 * [Date, Date + 1 s); taking the middle leaves at most ±0.5 s plus half the round trip. {@link #margin()}
 * (1 s in server mode) is added on the safe side of every expiry decision.
 */
final class StoreClock {

  private static final Duration SERVER_MARGIN = Duration.ofSeconds(1);

  private final TimeMode mode;
  private final InstantSource local;
  private volatile Duration offset;
  private volatile Duration lastSkew;

  StoreClock(TimeMode mode, InstantSource local) {
    this.mode = mode;
    this.local = local;
  }

  TimeMode mode() {
    return mode;
  }

  Instant localNow() {
    return local.instant();
  }

  Instant now() {
    return toStore(local.instant());
  }

  /** A local instant (e.g. a ShedLock {@code lockAtMostUntil}) as store time. */
  Instant toStore(Instant localInstant) {
    Duration o = offset;
    return mode == TimeMode.SERVER && o != null ? localInstant.plus(o) : localInstant;
  }

  Duration margin() {
    return mode == TimeMode.SERVER ? SERVER_MARGIN : Duration.ZERO;
  }

  /** True when store time is known: always in client mode, after the first response in server mode. */
  boolean calibrated() {
    return mode == TimeMode.CLIENT || offset != null;
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
    Instant localMiddle = sent.plus(Duration.between(sent, received).dividedBy(2));
    Duration skew = Duration.between(localMiddle, date.plusMillis(500));
    lastSkew = skew;
    offset = skew;
  }
}
