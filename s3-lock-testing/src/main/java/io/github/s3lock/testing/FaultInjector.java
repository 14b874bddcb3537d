package io.github.s3lock.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Injects the faults a real S3 produces but a local server does not, into the client path of a real HTTP
 * exchange: a write that is applied but whose response is lost (the client sees 500 and the SDK retries), a
 * write that is refused with 409 ConditionalRequestConflict or 503 SlowDown without being applied, a write that
 * lands only after the client gave up on it and read the object back, a read that keeps failing, and S3's 403
 * for a missing key when the caller lacks {@code s3:ListBucket}. It can also turn a conformant server into one
 * that ignores conditional writes, by stripping the condition headers.
 *
 * <p>Faults are queued; a PUT fault applies to the next PUT call (with the SDK's retries of it), a GET fault to
 * the next GET call. Register the injector on the S3 client under test; thread-safe.
 */
public final class FaultInjector implements ExecutionInterceptor {

  /** A fault for one call. */
  public enum Fault {
    /**
     * The server applies the write; the client sees 500 InternalError instead of its answer. The SDK then retries
     * and gets the server's real answer to the retry (412: the write had been applied).
     */
    APPLIED_THEN_500,
    /** The write goes to a sink key instead (not applied); the client sees 409 ConditionalRequestConflict. */
    NOT_APPLIED_409,
    /** Every attempt of the write goes to a sink key (not applied); the client sees 503 SlowDown until the SDK gives up. */
    NOT_APPLIED_503,
    /**
     * The server applies the write; then the calling thread is interrupted before the SDK hands back the answer,
     * as when a scheduler shuts down during a request. The client sees {@code AbortedException} with its
     * interrupt flag set.
     */
    APPLIED_THEN_INTERRUPTED,
    /**
     * A write that lands late: every attempt fails with 503 as in {@link #NOT_APPLIED_503}, and the write (with
     * its condition) is applied only after the client's next GET, just before its next request leaves, as when a
     * timed-out PUT is still in flight inside S3. Needs {@link #replayingWith}.
     */
    LANDS_AFTER_READ_BACK,
    /**
     * For the next GET instead of the next PUT: the client gets the first half of the body with status 200, as
     * S3Mock sometimes serves a GET that overlaps a PUT of the same key.
     */
    TORN_READ,
    /** For the next GET: every attempt answers 503 SlowDown, until the SDK gives up. */
    READ_FAILS_503
  }

  private static final ExecutionAttribute<Planned> FAULT = new ExecutionAttribute<>("s3lock.FaultInjector.fault");

  /**
   * The fault of one execution. {@code modifyHttpRequest} runs once per execution, the response hooks once
   * per attempt (retries included), so a fault that hits only the first attempt must remember that it did.
   */
  private static final class Planned {
    final Fault fault;
    boolean firstAttemptDone;

    Planned(Fault fault) {
      this.fault = fault;
    }

    boolean appliesToThisAttempt() {
      return (fault != Fault.APPLIED_THEN_500 && fault != Fault.APPLIED_THEN_INTERRUPTED
          && fault != Fault.TORN_READ) || !firstAttemptDone;
    }
  }

  /** A write held back by {@link Fault#LANDS_AFTER_READ_BACK}, and whether the client has read since. */
  private record HeldBack(PutObjectRequest request, byte[] body, boolean readSince) {}

  private static final String SINK_SUFFIX = ".s3lock-fault-sink";

  private final Deque<Fault> queue = new ArrayDeque<>();
  private final Deque<Fault> readQueue = new ArrayDeque<>();
  private volatile boolean stripConditions;
  private volatile boolean missingAsDenied;
  private volatile S3Client replayer;
  private HeldBack heldBack; // guarded by this
  private int injected;

  /**
   * Applies {@code fault} to the next PUT call, or to the next GET call for a read fault (after any queued).
   *
   * @param fault the fault; {@link Fault#TORN_READ} and {@link Fault#READ_FAILS_503} wait for a GET, the rest
   *     for a PUT
   * @return this injector, to queue more
   */
  public synchronized FaultInjector next(Fault fault) {
    boolean read = fault == Fault.TORN_READ || fault == Fault.READ_FAILS_503;
    (read ? readQueue : queue).add(fault);
    return this;
  }

  /**
   * While on, PUTs lose their {@code If-None-Match} and {@code If-Match} headers: a store that ignores them.
   *
   * @param on true to strip the headers from the next PUT on, false to send them again
   * @return this injector
   */
  public FaultInjector stripConditions(boolean on) {
    this.stripConditions = on;
    return this;
  }

  /**
   * While on, a GET of a missing key answers 403 AccessDenied instead of 404, as S3 does for a caller without
   * {@code s3:ListBucket} on the bucket.
   *
   * @param on true to answer 403 from the next GET on, false to let 404 through again
   * @return this injector
   */
  public FaultInjector missingAsDenied(boolean on) {
    this.missingAsDenied = on;
    return this;
  }

  /**
   * The client (without this injector) that applies the writes of {@link Fault#LANDS_AFTER_READ_BACK}.
   *
   * @param client a client of the same store; not null
   * @return this injector
   */
  public FaultInjector replayingWith(S3Client client) {
    this.replayer = Objects.requireNonNull(client, "client");
    return this;
  }

  /**
   * Faults applied so far.
   *
   * @return how many queued faults a call has taken; each counts once, however many retries it hit
   */
  public synchronized int injected() {
    return injected;
  }

  /**
   * Faults not used up yet, so that a test can check that the calls it meant to hit did happen.
   *
   * @return the queued faults, plus one while a {@link Fault#LANDS_AFTER_READ_BACK} write has not landed
   */
  public synchronized int pending() {
    return queue.size() + readQueue.size() + (heldBack == null ? 0 : 1);
  }

  @Override
  public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
    SdkHttpRequest request = context.httpRequest();
    landHeldBackWriteIfReadSince(request.method());
    if (request.method() == SdkHttpMethod.GET) {
      synchronized (this) {
        Fault fault = readQueue.poll();
        if (fault != null) {
          injected++;
          attributes.putAttribute(FAULT, new Planned(fault));
        }
      }
      return request;
    }
    if (request.method() != SdkHttpMethod.PUT) {
      return request;
    }
    SdkHttpRequest.Builder builder = request.toBuilder();
    if (stripConditions) {
      builder.removeHeader("If-None-Match").removeHeader("If-Match");
    }
    Fault fault;
    synchronized (this) {
      fault = queue.poll();
      if (fault != null) {
        injected++;
      }
      if (fault == Fault.LANDS_AFTER_READ_BACK) {
        if (replayer == null) {
          throw new IllegalStateException("LANDS_AFTER_READ_BACK needs replayingWith(client)");
        }
        heldBack = new HeldBack((PutObjectRequest) context.request(), bodyOf(context.requestBody()), false);
      }
    }
    if (fault != null) {
      attributes.putAttribute(FAULT, new Planned(fault));
      if (fault != Fault.APPLIED_THEN_500 && fault != Fault.APPLIED_THEN_INTERRUPTED) {
        builder.encodedPath(request.encodedPath() + SINK_SUFFIX);
      }
    }
    return builder.build();
  }

  /** A held-back write lands after the client's first GET since, just before the client's next request leaves. */
  private void landHeldBackWriteIfReadSince(SdkHttpMethod method) {
    HeldBack landing;
    synchronized (this) {
      if (heldBack == null) {
        return;
      }
      if (!heldBack.readSince()) {
        if (method == SdkHttpMethod.GET) {
          heldBack = new HeldBack(heldBack.request(), heldBack.body(), true);
        }
        return;
      }
      landing = heldBack;
      heldBack = null;
    }
    try {
      replayer.putObject(landing.request(), RequestBody.fromBytes(landing.body()));
    } catch (RuntimeException e) {
      // Its condition no longer holds (412), or the like: a late write that is refused is a fault too.
    }
  }

  private static byte[] bodyOf(Optional<RequestBody> body) {
    if (body.isEmpty()) {
      return new byte[0];
    }
    try (InputStream in = body.get().contentStreamProvider().newStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void drain(InputStream body) {
    try (body) {
      body.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      // The connection is discarded instead of reused: also fine.
    }
  }

  private static InputStream firstHalf(InputStream body) {
    try (body) {
      byte[] all = body.readAllBytes();
      return new ByteArrayInputStream(Arrays.copyOf(all, all.length / 2));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Planned planned = attributes.getAttribute(FAULT);
    if (planned == null && missingAsDenied && context.httpRequest().method() == SdkHttpMethod.GET
        && context.httpResponse().statusCode() == 404) {
      attributes.putAttribute(FAULT, new Planned(null));
      return context.httpResponse().toBuilder().statusCode(403).removeHeader("Content-Length")
          .putHeader("Content-Type", "application/xml").build();
    }
    if (planned == null || planned.fault == null || !planned.appliesToThisAttempt()) {
      return context.httpResponse();
    }
    if (planned.fault == Fault.TORN_READ) {
      return context.httpResponse().toBuilder().removeHeader("Content-Length").build();
    }
    if (planned.fault == Fault.APPLIED_THEN_INTERRUPTED) {
      planned.firstAttemptDone = true;
      drain(context.responseBody().orElse(InputStream.nullInputStream()));
      Thread.currentThread().interrupt();
      throw AbortedException.builder().message("simulated: interrupted after the write was applied").build();
    }
    return context.httpResponse().toBuilder().statusCode(status(planned.fault)).removeHeader("ETag")
        .removeHeader("Content-Length").putHeader("Content-Type", "application/xml").build();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
      ExecutionAttributes attributes) {
    Planned planned = attributes.getAttribute(FAULT);
    if (planned != null && planned.fault == null) {
      context.responseBody().ifPresent(FaultInjector::drain);
      return Optional.of(error("AccessDenied", "Access Denied"));
    }
    if (planned == null || !planned.appliesToThisAttempt()) {
      return context.responseBody();
    }
    planned.firstAttemptDone = true;
    if (planned.fault == Fault.TORN_READ) {
      return context.responseBody().map(FaultInjector::firstHalf);
    }
    // Read the real body to its end: an unread body keeps the HTTP connection leased, and after ~50 faults the
    // client's pool is empty.
    context.responseBody().ifPresent(FaultInjector::drain);
    String code = switch (planned.fault) {
      case APPLIED_THEN_500, APPLIED_THEN_INTERRUPTED, TORN_READ -> "InternalError";
      case NOT_APPLIED_409 -> "ConditionalRequestConflict";
      case NOT_APPLIED_503, LANDS_AFTER_READ_BACK, READ_FAILS_503 -> "SlowDown";
    };
    return Optional.of(error(code, "injected by FaultInjector"));
  }

  private static int status(Fault fault) {
    return switch (fault) {
      case APPLIED_THEN_500, APPLIED_THEN_INTERRUPTED, TORN_READ -> 500;
      case NOT_APPLIED_409 -> 409;
      case NOT_APPLIED_503, LANDS_AFTER_READ_BACK, READ_FAILS_503 -> 503;
    };
  }

  private static InputStream error(String code, String message) {
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
        + "</Message></Error>";
    return new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8));
  }
}
