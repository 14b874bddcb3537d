package io.github.s3lock.core;

/**
 * How an S3-compatible store differs from AWS S3 in what the protocol relies on. Detected by the conformance
 * probe; set it explicitly only when the probe is turned off.
 *
 * @param quotedIfMatch whether {@code If-Match} takes the ETag as S3 returns it, in double quotes (AWS, S3Mock),
 *     or only without them (Ceph radosgw 16 answers 412 to the quoted form, so a client that sends the ETag as
 *     returned never re-acquires a lock there)
 * @param ifMatchOnMissingKeyStatus what {@code If-Match} on a missing key answers: 404 on AWS, 412 on radosgw.
 *     The protocol reads back after either, so this is informational
 */
public record StoreDialect(boolean quotedIfMatch, int ifMatchOnMissingKeyStatus) {

  /** Amazon S3 (and S3Mock). */
  public static final StoreDialect AWS = new StoreDialect(true, 404);

  /** Ceph radosgw 16 (Debian 12). */
  public static final StoreDialect RADOSGW_16 = new StoreDialect(false, 412);

  /** The {@code If-Match} header value for an ETag in either form. */
  String ifMatch(String etag) {
    String bare = unquoted(etag);
    return quotedIfMatch ? '"' + bare + '"' : bare;
  }

  static String unquoted(String etag) {
    if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
      return etag.substring(1, etag.length() - 1);
    }
    return etag;
  }
}
