package io.github.s3lock.simulation;

/** What a {@link FailingListener} throws: a bug in a user's metrics code, never a lock failure. */
final class ListenerFailure extends RuntimeException {

  ListenerFailure(String call) {
    super("simulated: the listener failed in " + call, null, false, false);
  }
}
