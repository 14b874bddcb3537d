package io.github.s3lock.core;

/** What the simulation's checker tests need from the core's package: its exceptions, as the core throws them. */
public final class CoreTestHooks {

  private CoreTestHooks() {}

  public static S3LockException exception(S3LockException.Kind kind, String message) {
    return new S3LockException(kind, message);
  }
}
