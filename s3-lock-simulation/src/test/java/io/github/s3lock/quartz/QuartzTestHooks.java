package io.github.s3lock.quartz;

/** What the Quartz simulation needs from the semaphore's package: a scheduler's shutdown, as the plugin does it. */
public final class QuartzTestHooks {

  private QuartzTestHooks() {}

  /**
   * {@link S3SemaphoreShutdownPlugin}'s two steps: its {@code shutdown()} (before the job store's), then its
   * listener's {@code schedulerShutdown()}.
   */
  public static void shutDown(S3Semaphore semaphore) {
    semaphore.awaitWaitingThreads();
    semaphore.close();
  }
}
