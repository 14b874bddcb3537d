package io.github.s3lock.quartz;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * While on, holds every request for one lock name until it is turned off, as a connection that stalls without
 * failing would. The clients of the tests have no API call timeout, so nothing ends the wait but {@link #end}.
 */
final class Hang implements ExecutionInterceptor {

  private final String keySuffix;
  private final AtomicInteger hanging = new AtomicInteger();
  private volatile CountDownLatch gate;

  Hang(String lockName) {
    this.keySuffix = "/" + lockName;
  }

  void start() {
    gate = new CountDownLatch(1);
  }

  void end() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  /** Requests held right now. */
  int hanging() {
    return hanging.get();
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    CountDownLatch g = gate;
    if (g == null || !context.httpRequest().encodedPath().endsWith(keySuffix)) {
      return;
    }
    hanging.incrementAndGet();
    try {
      g.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw AbortedException.builder().message("interrupted while hanging").cause(e).build();
    } finally {
      hanging.decrementAndGet();
    }
  }
}
