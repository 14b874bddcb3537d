package io.github.s3lock.spring;

/**
 * A lock store set-up problem found at start-up, with what to do about it; {@link S3LockFailureAnalyzer} prints
 * it as Spring Boot's "APPLICATION FAILED TO START" report. Never carries credentials.
 */
final class S3LockStartupException extends RuntimeException {

  private final String action;

  S3LockStartupException(String description, String action, Throwable cause) {
    super(description, cause);
    this.action = action;
  }

  /** @return what the user can do about it */
  String action() {
    return action;
  }
}
