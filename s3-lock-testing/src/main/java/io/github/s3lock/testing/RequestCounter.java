package io.github.s3lock.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Counts the HTTP requests an S3 client sends (every attempt, retries included) by method, so that tests can
 * assert the request budget of each lock operation. Register it on the client under test, first.
 */
public final class RequestCounter implements ExecutionInterceptor {

  /** One request as sent and answered: method and status (0 when no response arrived). */
  public record Request(String method, int status) {
    @Override
    public String toString() {
      return method + "=" + status;
    }
  }

  private static final ExecutionAttribute<Integer> INDEX = new ExecutionAttribute<>("s3lock.RequestCounter.index");

  private final List<Request> sent = new ArrayList<>();

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    synchronized (this) {
      attributes.putAttribute(INDEX, sent.size());
      sent.add(new Request(context.httpRequest().method().name(), 0));
    }
  }

  /**
   * Records the status the client sees: response hooks run in reverse order of registration, so a counter
   * registered before a {@link FaultInjector} sees the injected status.
   */
  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    Integer index = attributes.getAttribute(INDEX);
    synchronized (this) {
      if (index != null && index < sent.size()) {
        sent.set(index, new Request(sent.get(index).method(), context.httpResponse().statusCode()));
      }
    }
    return context.httpResponse();
  }

  public synchronized int total() {
    return sent.size();
  }

  public synchronized int count(String method) {
    return (int) sent.stream().filter(r -> r.method().equals(method)).count();
  }

  /** Requests by method, e.g. {@code {GET=1, PUT=1}}. */
  public synchronized Map<String, Integer> byMethod() {
    Map<String, Integer> counts = new TreeMap<>();
    sent.forEach(r -> counts.merge(r.method(), 1, Integer::sum));
    return counts;
  }

  /** The requests in the order sent, e.g. {@code [PUT=412, GET=200]}. */
  public synchronized List<Request> requests() {
    return List.copyOf(sent);
  }

  public synchronized void reset() {
    sent.clear();
  }

  @Override
  public synchronized String toString() {
    return sent.toString();
  }
}
