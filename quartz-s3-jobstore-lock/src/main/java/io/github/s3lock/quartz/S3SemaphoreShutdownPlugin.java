package io.github.s3lock.quartz;

import java.lang.ref.WeakReference;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.listeners.SchedulerListenerSupport;
import org.quartz.spi.ClassLoadHelper;
import org.quartz.spi.SchedulerPlugin;

/**
 * When the scheduler has shut down, hands back to S3 the leases that {@link S3Semaphore} keeps between sections
 * (lease affinity), so that no lock stays held for up to a lease after a clean shutdown; then ends its renewal
 * threads and closes the S3 client it built from its properties. Configure it next to the lock handler:
 * {@code org.quartz.plugin.s3Semaphore.class = io.github.s3lock.quartz.S3SemaphoreShutdownPlugin}.
 *
 * <p>Why a plugin: Quartz 2.5.2 tells a lock handler nothing at shutdown. {@code Semaphore} has no lifecycle method,
 * and {@code JobStoreSupport.shutdown()} stops its misfire and cluster threads and its data source but never looks at
 * its lock handler. A plugin is what Quartz offers for work at shutdown, configured by properties (also under
 * Spring Boot's {@code spring.quartz.properties.}). Its own {@code shutdown()} is too early, though:
 * {@code QuartzScheduler.shutdown} calls the plugins before the job store, whose misfire and cluster threads may
 * still take a lock. So the plugin registers a {@code SchedulerListener}, whose {@code schedulerShutdown()} comes
 * after the job store has stopped them.
 *
 * <p>Quartz gives a plugin the scheduler but no way to its job store's lock handler. {@code StdSchedulerFactory}
 * builds the lock handler and then, in the same call on the same thread, initializes the plugins: so each
 * {@link S3Semaphore} leaves itself here for the current thread, and the plugin takes the one its scheduler built.
 */
public class S3SemaphoreShutdownPlugin implements SchedulerPlugin {

  // Weak: a semaphore built without this plugin must not be kept alive by the thread that built it.
  private static final ThreadLocal<WeakReference<S3Semaphore>> BUILT_ON_THIS_THREAD = new ThreadLocal<>();

  private volatile S3Semaphore semaphore;

  /** Called by every {@link S3Semaphore} constructor. */
  static void built(S3Semaphore semaphore) {
    BUILT_ON_THIS_THREAD.set(new WeakReference<>(semaphore));
  }

  @Override
  public void initialize(String name, Scheduler scheduler, ClassLoadHelper loadHelper) throws SchedulerException {
    WeakReference<S3Semaphore> last = BUILT_ON_THIS_THREAD.get();
    BUILT_ON_THIS_THREAD.remove();
    S3Semaphore semaphore = last == null ? null : last.get();
    // The name tells a semaphore of an earlier scheduler built on this thread from this scheduler's own.
    if (semaphore == null || !semaphore.schedName().equals(scheduler.getSchedulerName())) {
      throw new SchedulerException("org.quartz.plugin." + name + " (" + getClass().getName() + "): scheduler '"
          + scheduler.getSchedulerName() + "' has no " + S3Semaphore.class.getName() + " lock handler built with"
          + " it (org.quartz.jobStore.lockHandler.class)");
    }
    this.semaphore = semaphore;
    scheduler.getListenerManager().addSchedulerListener(new SchedulerListenerSupport() {
      @Override
      public void schedulerShutdown() {
        semaphore.close();
      }
    });
  }

  @Override
  public void start() {}

  /**
   * Too early to close the lock handler (see the class comment), but the last moment before the job store closes
   * its data source: a thread still waiting for a lock (Quartz's scheduler thread, which {@code shutdown(false)}
   * does not join) gets it, runs its section with the database still open and ends, instead of failing on a closed
   * data source after the wait.
   */
  @Override
  public void shutdown() {
    S3Semaphore s = semaphore;
    if (s != null) {
      s.awaitWaitingThreads();
    }
  }
}
