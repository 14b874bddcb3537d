package io.github.s3lock.quartz;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/** Makes a client's S3 unreachable while on: every request fails as a refused connection would. */
final class Outage implements ExecutionInterceptor {

  private volatile boolean on;

  void start() {
    on = true;
  }

  void end() {
    on = false;
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    if (on) {
      throw SdkClientException.create("injected outage: S3 unreachable");
    }
  }
}
