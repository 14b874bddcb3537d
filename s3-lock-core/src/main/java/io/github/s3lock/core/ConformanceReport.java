package io.github.s3lock.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the conformance probe found out about a bucket and prefix.
 *
 * @param bucket the bucket that was probed
 * @param keyPrefix the key prefix under whose reserved keys the probe wrote
 * @param ifNoneMatchHonoured a second {@code PUT If-None-Match: *} of an existing key got 412 (or 409)
 * @param ifMatchHonoured {@code PUT If-Match} with a wrong ETag got 412
 * @param quotedEtagAccepted {@code If-Match} with the ETag as returned (quoted) succeeded
 * @param unquotedEtagAccepted {@code If-Match} with the ETag without quotes succeeded
 * @param ifMatchOnMissingKeyStatus the status of {@code If-Match} on a missing key (404 AWS, 412 radosgw;
 *     200 means the store ignored the condition and created the object)
 * @param clockSkew the store's {@code Date} minus the local clock (±1 s), when the store sent {@code Date}
 */
public record ConformanceReport(
    String bucket,
    String keyPrefix,
    boolean ifNoneMatchHonoured,
    boolean ifMatchHonoured,
    boolean quotedEtagAccepted,
    boolean unquotedEtagAccepted,
    int ifMatchOnMissingKeyStatus,
    Optional<Duration> clockSkew) {

  /** @return true when the protocol can rely on this store */
  public boolean safeForLocking() {
    return problems().isEmpty();
  }

  /** @return the dialect to use, when the store is safe for locking */
  public Optional<StoreDialect> dialect() {
    if (!safeForLocking()) {
      return Optional.empty();
    }
    return Optional.of(new StoreDialect(quotedEtagAccepted, ifMatchOnMissingKeyStatus));
  }

  /** @return each reason the store is unsafe, in words an operator can act on; empty when it is safe */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (!ifNoneMatchHonoured) {
      problems.add("the store ignores If-None-Match on PUT: two nodes could both create the same lock");
    }
    if (!ifMatchHonoured) {
      problems.add("the store ignores If-Match on PUT: a node could take over a lock it did not read");
    }
    if (ifMatchHonoured && !quotedEtagAccepted && !unquotedEtagAccepted) {
      problems.add("the store accepts neither the quoted nor the unquoted ETag in If-Match");
    }
    if (ifMatchOnMissingKeyStatus != 404 && ifMatchOnMissingKeyStatus != 412) {
      problems.add("If-Match on a missing key answered " + ifMatchOnMissingKeyStatus + " instead of 404 or 412");
    }
    return problems;
  }
}
