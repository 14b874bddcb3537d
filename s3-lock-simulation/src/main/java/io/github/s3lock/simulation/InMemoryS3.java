package io.github.s3lock.simulation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An S3 bucket store in memory with exactly the conditional-write semantics of Amazon S3 that the lock protocol
 * relies on: every request is applied atomically; {@code PUT If-None-Match: *} answers 412 when the key exists;
 * {@code PUT If-Match} answers 412 on another ETag and 404 on a missing key; {@code GET If-None-Match} answers
 * 304 while unchanged; the ETag changes on every write (a counter, not a hash, so that even identical bodies get
 * new ETags, which is stricter than S3); {@code If-Match} accepts the ETag quoted or unquoted, as AWS does.
 *
 * <p>This store exists only for the simulation and fault injection: it is the one S3 stand-in whose answers
 * the protocol tests trust, because it is small enough to read, and it records every applied write for the
 * checker: PUTs, PUTs that land after their client gave up ({@link #handleLate}), and DELETEs (an operator's or
 * a lifecycle rule's, {@link #deleteObject}). Protocol behaviour on real servers is tested against S3Mock
 * (serialized) and Ceph radosgw.
 *
 * <p>Two deliberately broken modes prove that the checker can fail: {@link Broken#IGNORE_CONDITIONS} (a store
 * that accepts the condition headers and ignores them) and {@link Broken#CHECK_THEN_WRITE} (the condition is
 * checked when the request arrives and the write applied later, with other requests in between, which is what
 * S3Mock does with more than one worker thread).
 *
 * <p>Thread-safe: synchronized, so real threads may share it too.
 */
final class InMemoryS3 {

  enum Broken { NONE, IGNORE_CONDITIONS, CHECK_THEN_WRITE }

  /** A response as the store decided it. */
  record Answer(int status, Map<String, String> headers, byte[] body) {}

  /** How an applied write came about. */
  enum WriteKind {
    /** A PUT, applied when it arrived. */
    PUT,
    /** A PUT that the client had given up on (it timed out), applied later: {@link Fault#LANDS_LATE}. */
    LATE_PUT,
    /** A DELETE: by an operator or a lifecycle rule ({@link #OPERATOR}), or by a client (its probe's keys). */
    DELETE
  }

  /** The node of writes that no node made: an operator's or a lifecycle rule's deletes. */
  static final int OPERATOR = -1;

  /** One applied write (a PUT or a DELETE), for the checker. */
  record AppliedWrite(long seq, long atNanos, String key, int node, long call, byte[] body, String etag,
      WriteKind kind) {
    boolean deleted() {
      return kind == WriteKind.DELETE;
    }
  }

  private record StoredObject(byte[] body, String etag) {}

  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

  private final Timeline time;
  private final Duration serverClockOffset;
  private final Set<String> buckets = new HashSet<>();
  private final Map<String, StoredObject> objects = new HashMap<>();
  private final List<AppliedWrite> writes = new ArrayList<>();
  private volatile Broken broken = Broken.NONE;
  private boolean recordWrites = true;
  private long etags;

  /**
   * @param serverClockOffset the store's clock minus ground truth, as its {@code Date} header shows it
   */
  InMemoryS3(Timeline time, Duration serverClockOffset) {
    this.time = time;
    this.serverClockOffset = serverClockOffset;
  }

  synchronized void createBucket(String bucket) {
    buckets.add(bucket);
  }

  void breakIt(Broken mode) {
    this.broken = mode;
  }

  Broken broken() {
    return broken;
  }

  Duration serverClockOffset() {
    return serverClockOffset;
  }

  synchronized void recordWrites(boolean record) {
    this.recordWrites = record;
  }

  synchronized List<AppliedWrite> writes() {
    return List.copyOf(writes);
  }

  /** Deletes an object as a lifecycle rule or an operator would (unconditionally); false if there was none. */
  synchronized boolean deleteObject(String bucket, String key) {
    return delete(bucket + "/" + key, key, OPERATOR, Calls.NONE);
  }

  synchronized void putRaw(String bucket, String key, byte[] body) {
    objects.put(bucket + "/" + key, new StoredObject(body, nextEtag()));
  }

  /**
   * Handles one request. {@code key} is null for bucket-level requests. {@code node} and {@code call} tag
   * applied writes for the checker.
   */
  synchronized Answer handle(String method, String bucket, String key, Map<String, String> headers, byte[] body,
      int node, long call) {
    return handle(method, bucket, key, headers, body, node, call, WriteKind.PUT);
  }

  /** Applies a request that the client gave up on ({@link Fault#LANDS_LATE}), its conditions evaluated now. */
  synchronized Answer handleLate(String method, String bucket, String key, Map<String, String> headers,
      byte[] body, int node, long call) {
    return handle(method, bucket, key, headers, body, node, call, WriteKind.LATE_PUT);
  }

  private Answer handle(String method, String bucket, String key, Map<String, String> headers, byte[] body,
      int node, long call, WriteKind kind) {
    if (key == null) {
      if (method.equals("PUT")) {
        buckets.add(bucket);
        return answer(200, null);
      }
      return error(501, "NotImplemented", "bucket operation " + method);
    }
    if (!buckets.contains(bucket)) {
      return error(404, "NoSuchBucket", "The specified bucket does not exist");
    }
    String id = bucket + "/" + key;
    StoredObject current = objects.get(id);
    switch (method) {
      case "GET": {
        if (current == null) {
          return error(404, "NoSuchKey", "The specified key does not exist.");
        }
        String ifNoneMatch = headers.get("if-none-match");
        if (ifNoneMatch != null && bare(ifNoneMatch).equals(current.etag())) {
          return answer(304, current.etag());
        }
        Answer ok = answer(200, current.etag());
        ok.headers().put("Content-Type", "application/json");
        return new Answer(200, ok.headers(), current.body());
      }
      case "PUT": {
        Answer refused = conditionFails(headers, current);
        // The broken store still honours conditions on s3-lock's own probe keys, so that it passes the probe.
        boolean ignore = broken == Broken.IGNORE_CONDITIONS && !key.contains(".s3-lock-");
        if (refused != null && !ignore) {
          return refused;
        }
        return apply(id, key, body, node, call, kind);
      }
      case "DELETE": {
        String ifMatch = headers.get("if-match");
        if (ifMatch != null && (current == null || !bare(ifMatch).equals(current.etag()))) {
          return current == null ? error(404, "NoSuchKey", "The specified key does not exist.")
              : error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
        }
        delete(id, key, node, call);
        return answer(204, null);
      }
      default:
        return error(501, "NotImplemented", "method " + method);
    }
  }

  /** For {@link Broken#CHECK_THEN_WRITE}: the condition as checked on arrival (null when it holds). */
  synchronized Answer checkOnly(String bucket, String key, Map<String, String> headers) {
    if (!buckets.contains(bucket)) {
      return error(404, "NoSuchBucket", "The specified bucket does not exist");
    }
    return conditionFails(headers, objects.get(bucket + "/" + key));
  }

  /** For {@link Broken#CHECK_THEN_WRITE}: the write, applied later without checking again. */
  synchronized Answer applyUnchecked(String bucket, String key, byte[] body, int node, long call) {
    return apply(bucket + "/" + key, key, body, node, call, WriteKind.PUT);
  }

  private Answer conditionFails(Map<String, String> headers, StoredObject current) {
    String ifNoneMatch = headers.get("if-none-match");
    String ifMatch = headers.get("if-match");
    if (ifNoneMatch != null && ifNoneMatch.trim().equals("*") && current != null) {
      return error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    }
    if (ifMatch != null) {
      if (current == null) {
        return error(404, "NoSuchKey", "The specified key does not exist.");
      }
      if (!bare(ifMatch).equals(current.etag())) {
        return error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
    }
    return null;
  }

  private Answer apply(String id, String key, byte[] body, int node, long call, WriteKind kind) {
    String etag = nextEtag();
    objects.put(id, new StoredObject(body, etag));
    if (recordWrites) {
      writes.add(new AppliedWrite(writes.size(), time.nanos(), key, node, call, body, etag, kind));
    }
    return answer(200, etag);
  }

  private boolean delete(String id, String key, int node, long call) {
    boolean existed = objects.remove(id) != null;
    if (existed && recordWrites) {
      writes.add(new AppliedWrite(writes.size(), time.nanos(), key, node, call, new byte[0], null,
          WriteKind.DELETE));
    }
    return existed;
  }

  private String nextEtag() {
    return String.format("%032x", ++etags);
  }

  private Answer answer(int status, String etag) {
    Map<String, String> h = new HashMap<>();
    h.put("Date", HTTP_DATE.format(time.instant().plus(serverClockOffset)));
    if (etag != null) {
      h.put("ETag", '"' + etag + '"');
    }
    return new Answer(status, h, new byte[0]);
  }

  Answer error(int status, String code, String message) {
    Answer a = answer(status, null);
    a.headers().put("Content-Type", "application/xml");
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
        + "</Message><RequestId>sim</RequestId></Error>";
    return new Answer(status, a.headers(), xml.getBytes(StandardCharsets.UTF_8));
  }

  private static String bare(String etag) {
    String e = etag.trim();
    return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
  }
}
