package io.github.s3lock.cli;

/** A problem the user can fix before any S3 request is sent (e.g. no credentials); reported as one line. */
final class CommandFailure extends RuntimeException {

  CommandFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
