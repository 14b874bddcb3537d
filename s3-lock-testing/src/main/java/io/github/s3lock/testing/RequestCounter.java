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

  /**
   * One request as sent and answered: method and status (0 when no response arrived).
   *
   * @param method the HTTP method, e.g. {@code PUT}
   * @param status the status; an injected one when a {@link FaultInjector} was registered after this counter; 0
   *     when no response arrived
   */
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

  /**
   * All requests sent since the counter was registered or last {@link #reset()}.
   *
   * @return the number of requests, every retry counted
   */
  public synchronized int total() {
    return sent.size();
  }

  /**
   * The requests of one HTTP method since the counter was registered or last {@link #reset()}.
   *
   * @param method the method as the SDK names it: {@code GET}, {@code PUT}, {@code DELETE}, ...
   * @return the number of requests of that method; 0 for a method never sent
   */
  public synchronized int count(String method) {
    return (int) sent.stream().filter(r -> r.method().equals(method)).count();
  }

  /**
   * Requests by method, e.g. {@code {GET=1, PUT=1}}.
   *
   * @return a new map, sorted by method, without the methods never sent
   */
  public synchronized Map<String, Integer> byMethod() {
    Map<String, Integer> counts = new TreeMap<>();
    sent.forEach(r -> counts.merge(r.method(), 1, Integer::sum));
    return counts;
  }

  /**
   * The requests in the order sent, e.g. {@code [PUT=412, GET=200]}.
   *
   * @return an unmodifiable copy; later requests do not show in it
   */
  public synchronized List<Request> requests() {
    return List.copyOf(sent);
  }

  /** Forgets the requests counted so far, e.g. those of a test's setup. */
  public synchronized void reset() {
    sent.clear();
  }

  @Override
  public synchronized String toString() {
    return sent.toString();
  }
}
