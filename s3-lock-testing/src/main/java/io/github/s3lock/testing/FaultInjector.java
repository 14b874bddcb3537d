package io.github.s3lock.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
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
    NOT_APPLIED_503
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
      return fault != Fault.APPLIED_THEN_500 || !firstAttemptDone;
    }
  }
  private static final String SINK_SUFFIX = ".s3lock-fault-sink";

  private final Deque<Fault> queue = new ArrayDeque<>();
  private volatile boolean stripConditions;
  private int injected;

  /** Applies {@code fault} to the next PUT call (after any already queued). */
  public synchronized FaultInjector next(Fault fault) {
    queue.add(fault);
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
    return queue.size();
  }

  @Override
  public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
    SdkHttpRequest request = context.httpRequest();
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
      if (fault != Fault.APPLIED_THEN_500) {
        builder.encodedPath(request.encodedPath() + SINK_SUFFIX);
      }
    }
    return builder.build();
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Planned planned = attributes.getAttribute(FAULT);
    if (planned == null || !planned.appliesToThisAttempt()) {
      return context.httpResponse();
    }
    int status = switch (planned.fault) {
      case APPLIED_THEN_500 -> 500;
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
    String code = switch (planned.fault) {
      case APPLIED_THEN_500 -> "InternalError";
      case NOT_APPLIED_409 -> "ConditionalRequestConflict";
      case NOT_APPLIED_503 -> "SlowDown";
    };
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
        + "</Code><Message>injected by FaultInjector</Message></Error>";
    return Optional.of(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }
}
