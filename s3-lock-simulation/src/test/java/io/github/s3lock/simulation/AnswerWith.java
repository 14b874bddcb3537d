package io.github.s3lock.simulation;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Replaces the store's answer to every request of one HTTP method by an S3 error, as a bucket policy (403
 * AccessDenied) or a bucket in another region (301 PermanentRedirect) would answer.
 */
final class AnswerWith implements ExecutionInterceptor {

  private final String method;
  private final int status;
  private final String code;

  AnswerWith(String method, int status, String code) {
    this.method = method;
    this.status = status;
    this.code = code;
  }

  private boolean applies(Context.ModifyHttpResponse context) {
    return context.httpRequest().method().name().equals(method);
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    if (!applies(context)) {
      return context.httpResponse();
    }
    return context.httpResponse().toBuilder().statusCode(status).removeHeader("ETag")
        .putHeader("Content-Type", "application/xml").build();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
      ExecutionAttributes attributes) {
    if (!applies(context)) {
      return context.responseBody();
    }
    String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + code
        + " (injected)</Message></Error>";
    return Optional.of(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }
}
