package io.github.s3lock.simulation;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * One node's connection to the {@link InMemoryS3}: an AWS SDK HTTP client that serves path-style S3 REST
 * requests from memory, so that the real {@code S3Client} (request marshalling, error parsing, retries) and
 * everything above it run unchanged. The network between node and store lives here: latency on the way in and
 * out (virtual or real, as the {@link Timeline} has it), the faults of a {@link FaultPlan} (including writes that
 * land after the client gave up, and interrupts of the calling thread), and a node-level crash (every request
 * refused) or stall (requests wait until the stall ends, as in a GC pause).
 */
final class SimHttpClient implements SdkHttpClient {

  /** How long a client waits for a dropped request before giving up (the SDK's attempt timeout). */
  static final long DROP_TIMEOUT_NANOS = Timeline.millis(2000);

  private final InMemoryS3 store;
  private final Timeline time;
  private final FaultPlan faults;
  private final int node;
  private volatile boolean crashed;
  private volatile long stalledUntil = Long.MIN_VALUE;
  /** Late writes of this node that land as soon as its next read of their key has been served, by key. */
  private final Map<String, List<Runnable>> landAfterNextRead = new HashMap<>();

  SimHttpClient(InMemoryS3 store, Timeline time, FaultPlan faults, int node) {
    this.store = store;
    this.time = time;
    this.faults = faults;
    this.node = node;
  }

  /** From now on every request fails as if the process were gone (connection refused). */
  void crash() {
    crashed = true;
  }

  boolean crashed() {
    return crashed;
  }

  /** Requests wait until {@code until} (ground nanos) before they leave, as when the whole process is frozen. */
  void stallUntil(long until) {
    stalledUntil = until;
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        return execute(request);
      }

      @Override
      public void abort() {
        // Requests complete synchronously; nothing to abort.
      }
    };
  }

  private HttpExecuteResponse execute(HttpExecuteRequest request) throws IOException {
    long now = time.nanos();
    if (now < stalledUntil) {
      time.sleep(stalledUntil - now);
    }
    if (crashed) {
      throw new IOException("simulated: connection refused (node " + node + " crashed)");
    }
    SdkHttpRequest http = request.httpRequest();
    String method = http.method().name();
    byte[] body = request.contentStreamProvider().map(p -> readAll(p.newStream())).orElse(new byte[0]);
    Map<String, String> headers = new HashMap<>();
    http.headers().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.isEmpty() ? "" : v.get(0)));
    if (headers.getOrDefault("content-encoding", "").contains("aws-chunked")) {
      body = dechunk(body); // signed requests stream the body in SigV4 chunks; S3 stores the payload
    }
    String path = decode(http.encodedPath());
    int slash = path.indexOf('/', 1);
    String bucket = slash < 0 ? path.substring(1) : path.substring(1, slash);
    String key = slash < 0 || slash == path.length() - 1 ? null : path.substring(slash + 1);
    boolean write = method.equals("PUT") && key != null;
    long call = Calls.current();

    Fault fault = faults.next(write, time.nanos(), call);
    boolean spike = fault == Fault.LATENCY_SPIKE;
    time.sleep(faults.latencyNanos(spike));

    InMemoryS3.Answer answer;
    if (fault == Fault.INTERRUPTED_IN_FLIGHT && !faults.interruptAfterApply()) {
      // The interrupt arrives while the request is on its way: the connection is torn down before the store
      // sees it. The SDK then finds the flag set and aborts the call.
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("simulated: interrupted before the request reached the store");
    }
    if (fault == Fault.DROPPED_BEFORE_APPLY) {
      time.sleep(DROP_TIMEOUT_NANOS);
      throw new IOException("simulated: read timed out (request dropped before it reached the store)");
    } else if (fault == Fault.LANDS_LATE && write) {
      // Stuck in a queue on the way: applied later, with its conditions evaluated then, whatever the client
      // has done meanwhile (read back, written again, returned). A random delay rarely hits the moment that
      // matters most, so half of them land right after the client's next read of the key has been served: the
      // read-back shows the old version, and the client's next write meets ours.
      Map<String, String> queued = Map.copyOf(headers);
      byte[] queuedBody = body;
      AtomicBoolean landed = new AtomicBoolean();
      Runnable land = () -> {
        if (landed.compareAndSet(false, true)) {
          store.handleLate(method, bucket, key, queued, queuedBody, node, call);
        }
      };
      time.later("late-write-" + node, faults.lateLandingNanos(), land);
      if (faults.landAfterNextRead()) {
        synchronized (landAfterNextRead) {
          landAfterNextRead.computeIfAbsent(bucket + "/" + key, k -> new ArrayList<>()).add(land);
        }
      }
      time.sleep(DROP_TIMEOUT_NANOS);
      throw new IOException("simulated: read timed out (the request is stuck on its way and will land later)");
    } else if (fault == Fault.SLOWDOWN_503) {
      answer = store.error(503, "SlowDown", "Please reduce your request rate.");
    } else if (fault == Fault.ERROR_500 || (fault == Fault.CONFLICT_409 && write)) {
      answer = fault == Fault.ERROR_500 ? store.error(500, "InternalError", "We encountered an internal error.")
          : store.error(409, "ConditionalRequestConflict", "A conflicting conditional operation is currently in"
              + " progress against this resource. Please try again.");
    } else if (write && store.broken() == InMemoryS3.Broken.CHECK_THEN_WRITE
        && (headers.containsKey("if-match") || headers.containsKey("if-none-match"))) {
      answer = store.checkOnly(bucket, key, headers);
      if (answer == null) {
        time.sleep(faults.latencyNanos(false)); // the window in which another writer passes the same check
        answer = store.applyUnchecked(bucket, key, body, node, call);
      }
    } else {
      answer = store.handle(method, bucket, key, headers, body, node, call);
      if (method.equals("GET") && key != null) {
        List<Runnable> due;
        synchronized (landAfterNextRead) {
          due = landAfterNextRead.remove(bucket + "/" + key);
        }
        if (due != null) {
          due.forEach(Runnable::run);
        }
      }
    }

    time.sleep(faults.latencyNanos(spike));
    if (fault == Fault.INTERRUPTED_IN_FLIGHT) {
      // The interrupt arrives while the answer is on its way back: the store has done its part.
      Thread.currentThread().interrupt();
    }
    if (write && fault == Fault.APPLIED_RESPONSE_LOST) {
      throw new IOException("simulated: connection reset (the write was applied, its response lost)");
    }
    if (write && (fault == Fault.APPLIED_THEN_500 || fault == Fault.APPLIED_THEN_503)) {
      answer = fault == Fault.APPLIED_THEN_500
          ? store.error(500, "InternalError", "We encountered an internal error.")
          : store.error(503, "SlowDown", "Please reduce your request rate.");
    }
    InputStream content = new ByteArrayInputStream(answer.body());
    if (fault == Fault.BODY_BROKEN_OFF && answer.status() == 200 && answer.body().length > 8) {
      content = new BrokenOff(answer.body(), answer.body().length / 2);
    }
    SdkHttpResponse.Builder response = SdkHttpResponse.builder().statusCode(answer.status());
    answer.headers().forEach(response::putHeader);
    response.putHeader("Content-Length", String.valueOf(answer.body().length));
    return HttpExecuteResponse.builder()
        .response(response.build())
        .responseBody(AbortableInputStream.create(content))
        .build();
  }

  @Override
  public String clientName() {
    return "s3lock-sim";
  }

  @Override
  public void close() {
    // Nothing to release.
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The payload of an {@code aws-chunked} body: {@code <hex size>;chunk-signature=...\r\n<data>\r\n}... */
  static byte[] dechunk(byte[] chunked) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int pos = 0;
    while (pos < chunked.length) {
      int lineEnd = pos;
      while (lineEnd + 1 < chunked.length && !(chunked[lineEnd] == '\r' && chunked[lineEnd + 1] == '\n')) {
        lineEnd++;
      }
      String header = new String(chunked, pos, lineEnd - pos, StandardCharsets.US_ASCII);
      int size = Integer.parseInt(header.split(";", 2)[0].trim(), 16);
      if (size == 0) {
        break;
      }
      out.write(chunked, lineEnd + 2, size);
      pos = lineEnd + 2 + size + 2;
    }
    return out.toByteArray();
  }

  /** Percent-decodes a path as UTF-8 (the SDK encodes every reserved byte of a key). */
  static String decode(String encoded) {
    byte[] out = new byte[encoded.length()];
    int n = 0;
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%' && i + 2 < encoded.length()) {
        out[n++] = (byte) Integer.parseInt(encoded.substring(i + 1, i + 3), 16);
        i += 2;
      } else {
        out[n++] = (byte) c;
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  /** A response body that breaks off after {@code limit} bytes. */
  private static final class BrokenOff extends InputStream {
    private final byte[] body;
    private final int limit;
    private int pos;

    BrokenOff(byte[] body, int limit) {
      this.body = body;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      if (pos >= limit) {
        throw new IOException("simulated: connection reset while reading the body");
      }
      return body[pos++] & 0xff;
    }
  }
}
