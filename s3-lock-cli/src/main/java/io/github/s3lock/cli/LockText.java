package io.github.s3lock.cli;

import io.github.s3lock.core.LockRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** How locks read on a terminal: absolute times in UTC, relative times in the two largest units. */
final class LockText {

  private LockText() {}

  /** Held until {@code lockUntil}; from then on anyone may take the lock over. */
  static boolean held(LockRecord record, Instant now) {
    return now.isBefore(record.lockUntil());
  }

  /** {@code 2026-11-26T12:20:05Z}: to the second, which is what an operator compares. */
  static String absolute(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** As {@link #absolute}, or {@code unknown} when the store did not say (no {@code Last-Modified} header). */
  static String absoluteOrUnknown(Instant instant) {
    return instant == null ? "unknown" : absolute(instant);
  }

  /** {@code in 3m 12s} or {@code expired 5s ago}. */
  static String relative(Instant lockUntil, Instant now) {
    Duration d = Duration.between(now, lockUntil);
    return d.isNegative() || d.isZero() ? "expired " + span(d.negated()) + " ago" : "in " + span(d);
  }

  /** A duration as its two largest units: {@code 2d 3h}, {@code 1h 5m}, {@code 3m 12s}, {@code 12s}. */
  static String span(Duration d) {
    long s = d.toSeconds();
    if (s < 1) {
      return d.toMillis() + "ms";
    }
    long days = s / 86_400;
    long hours = s % 86_400 / 3_600;
    long minutes = s % 3_600 / 60;
    long seconds = s % 60;
    if (days > 0) {
      return days + "d " + hours + "h";
    }
    if (hours > 0) {
      return hours + "h " + minutes + "m";
    }
    if (minutes > 0) {
      return minutes + "m " + seconds + "s";
    }
    return seconds + "s";
  }

  /** "held by node-1 until 2026-...Z (in 3m 12s), token 7" or "free since ...". */
  static String state(LockRecord record, Instant now) {
    if (held(record, now)) {
      return "held by " + record.lockedBy() + " until " + absolute(record.lockUntil()) + " ("
          + relative(record.lockUntil(), now) + "), token " + record.token();
    }
    return "free since " + absolute(record.lockUntil()) + " (" + relative(record.lockUntil(), now)
        + "), last held by " + record.lockedBy() + ", token " + record.token();
  }

  /** Rows as left-aligned columns, two spaces apart; the last column is not padded. */
  static List<String> columns(List<String[]> rows) {
    int width = rows.get(0).length;
    int[] widths = new int[width];
    for (String[] row : rows) {
      for (int i = 0; i < width; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    List<String> lines = new ArrayList<>();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < width; i++) {
        line.append(i == width - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
      }
      lines.add(line.toString().stripTrailing());
    }
    return lines;
  }
}
