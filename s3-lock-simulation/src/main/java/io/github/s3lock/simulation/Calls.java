package io.github.s3lock.simulation;

/**
 * The lock call the current thread is making, so that the store can tag every write it applies with the call
 * that sent it. The checker then knows, for every applied write, whether its writer recognised it.
 */
final class Calls {

  static final long NONE = -1;

  private static final ThreadLocal<Long> CURRENT = ThreadLocal.withInitial(() -> NONE);

  private Calls() {}

  static void enter(long call) {
    CURRENT.set(call);
  }

  static void leave() {
    CURRENT.set(NONE);
  }

  static long current() {
    return CURRENT.get();
  }
}
