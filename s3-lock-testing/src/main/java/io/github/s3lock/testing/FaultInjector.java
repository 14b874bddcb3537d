package io.github.s3lock.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Injects the faults a real S3 produces but a local server does not, into the client path of a real HTTP
 * exchange: a write that is applied but whose response is lost (the client sees 500 and the SDK retries), and a
 * write that is refused with 409 ConditionalRequestConflict or 503 SlowDown without being applied. It can also
 * turn a conformant server into one that ignores conditional writes, by stripping the condition headers.
 *
 * <p>Faults are queued and each applies to the next PUT call (with the SDK's retries of it). Register the injector on
 * the S3 client under test; thread-safe.
 */
public final class FaultInjector implements ExecutionInterceptor {

  /** A fault for one PUT attempt. */
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
     * For the next GET instead of the next PUT: the client gets the first half of the body with status 200, as
     * S3Mock sometimes serves a GET that overlaps a PUT of the same key.
     */
    TORN_READ
  }

  private static final ExecutionAttribute<Planned> FAULT = new ExecutionAttribute<>("s3lock.FaultInjector.fault");

  /**
   * The fault of one PUT execution. {@code modifyHttpRequest} runs once per execution, the response hooks once
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
  private static final String SINK_SUFFIX = ".s3lock-fault-sink";

  private final Deque<Fault> queue = new ArrayDeque<>();
  private final Deque<Fault> readQueue = new ArrayDeque<>();
  private volatile boolean stripConditions;
  private int injected;

  /** Applies {@code fault} to the next PUT call (after any already queued). */
  public synchronized FaultInjector next(Fault fault) {
    (fault == Fault.TORN_READ ? readQueue : queue).add(fault);
    return this;
  }

  /** While on, PUTs lose their {@code If-None-Match} and {@code If-Match} headers: a store that ignores them. */
  public FaultInjector stripConditions(boolean on) {
    this.stripConditions = on;
    return this;
  }

  /** Faults applied so far. */
  public synchronized int injected() {
    return injected;
  }

  public synchronized int pending() {
    return queue.size() + readQueue.size();
  }

  @Override
  public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
    SdkHttpRequest request = context.httpRequest();
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
    }
    if (fault != null) {
      attributes.putAttribute(FAULT, new Planned(fault));
      if (fault != Fault.APPLIED_THEN_500 && fault != Fault.APPLIED_THEN_INTERRUPTED) {
        builder.encodedPath(request.encodedPath() + SINK_SUFFIX);
      }
    }
    return builder.build();
  }

  private static void drain(InputStream body) {
    try (body) {
      body.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (java.io.IOException e) {
      // The connection is discarded instead of reused: also fine.
    }
  }

  private static InputStream firstHalf(InputStream body) {
    try (body) {
      byte[] all = body.readAllBytes();
      return new ByteArrayInputStream(java.util.Arrays.copyOf(all, all.length / 2));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Planned planned = attributes.getAttribute(FAULT);
    if (planned == null || !planned.appliesToThisAttempt()) {
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
    int status = switch (planned.fault) {
      case APPLIED_THEN_500, APPLIED_THEN_INTERRUPTED, TORN_READ -> 500;
      case NOT_APPLIED_409 -> 409;
      case NOT_APPLIED_503 -> 503;
    };
    return context.httpResponse().toBuilder().statusCode(status).removeHeader("ETag")
        .putHeader("Content-Type", "application/xml").build();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
      ExecutionAttributes attributes) {
    Planned planned = attributes.getAttribute(FAULT);
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
      case NOT_APPLIED_503 -> "SlowDown";
    };
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
        + "</Code><Message>injected by FaultInjector</Message></Error>";
    return Optional.of(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }
}
