package io.github.s3lock.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints an {@link S3LockStartupException} as Spring Boot's failure analysis: the cause, then the fix. */
final class S3LockFailureAnalyzer extends AbstractFailureAnalyzer<S3LockStartupException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, S3LockStartupException cause) {
    return new FailureAnalysis(cause.getMessage(), cause.action(), cause);
  }
}
