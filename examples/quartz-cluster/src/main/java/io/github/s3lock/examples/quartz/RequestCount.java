package io.github.s3lock.examples.quartz;

import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Counts every HTTP request of every S3 client in this JVM: registered globally through
 * {@code software/amazon/awssdk/global/handlers/execution.interceptors}, so the lock handler's own client is
 * counted without any change to quartz.properties.
 */
public final class RequestCount implements ExecutionInterceptor {

  static final AtomicLong REQUESTS = new AtomicLong();

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    REQUESTS.incrementAndGet();
  }
}
