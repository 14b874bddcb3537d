package io.github.s3lock.micrometer;

import io.github.s3lock.core.LockListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Records what an {@code S3LockClient} does as Micrometer meters. Pass it to the client's (or the ShedLock
 * provider's) {@code listener(...)} builder option; the Spring Boot auto-configuration does so when a
 * {@link MeterRegistry} bean exists.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>Name</th><th>Type</th><th>Tags</th></tr>
 *   <tr><td>{@value #ATTEMPTS}</td><td>counter</td><td>{@code lock}, {@code outcome}: acquired, held, error</td></tr>
 *   <tr><td>{@value #ACQUIRE_LATENCY}</td><td>timer</td><td>{@code lock}</td></tr>
 *   <tr><td>{@value #REQUESTS}</td><td>counter</td><td>{@code method}: PUT, GET, DELETE, LIST;
 *       {@code status}: the HTTP status, {@code 0} when no answer arrived</td></tr>
 *   <tr><td>{@value #HOLD_TIME}</td><td>timer</td><td>{@code lock}</td></tr>
 *   <tr><td>{@value #LEASES_LOST}</td><td>counter</td><td>{@code lock}</td></tr>
 * </table>
 *
 * <p>The {@code lock} tag is the lock name, so there is one time series per lock name and meter: fine for the
 * handful of scheduled tasks a service has, not for lock names built from request data.
 *
 * <p>Thread-safe. Never throws into the lock client: Micrometer's registries do not throw on recording.
 */
public final class MicrometerLockListener implements LockListener {

  /** Counter of lock attempts, tagged {@code lock} and {@code outcome} (acquired, held, error). */
  public static final String ATTEMPTS = "s3lock.attempts";
  /** Timer of lock attempts, S3 requests included, tagged {@code lock} and {@code outcome}. */
  public static final String ACQUIRE_LATENCY = "s3lock.acquire.latency";
  /** Counter of S3 requests, tagged {@code method} and {@code status}. */
  public static final String REQUESTS = "s3lock.requests";
  /** Timer of how long leases were held, from acquisition to release, tagged {@code lock}. */
  public static final String HOLD_TIME = "s3lock.hold.time";
  /**
   * Counter of leases found lost (taken over or deleted) when their holder released or extended them, tagged
   * {@code lock}. A lease that had merely expired when its holder tried to extend it is not counted: the extend
   * then sends nothing and reports "not extended".
   */
  public static final String LEASES_LOST = "s3lock.leases.lost";

  // Meter providers look a meter up by its tags (registering it the first time), without building a new
  // Meter.Id description and builder on every call of the lock client's hot path.
  private final Meter.MeterProvider<Counter> attempts;
  private final Meter.MeterProvider<Timer> acquireLatency;
  private final Meter.MeterProvider<Counter> requests;
  private final Meter.MeterProvider<Timer> holdTime;
  private final Meter.MeterProvider<Counter> leasesLost;

  /** @param registry where the meters are registered */
  public MicrometerLockListener(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    attempts = Counter.builder(ATTEMPTS)
        .description("Lock acquisition attempts by outcome")
        .withRegistry(registry);
    acquireLatency = Timer.builder(ACQUIRE_LATENCY)
        .description("Duration of lock acquisition attempts, S3 requests included, whatever their outcome")
        .withRegistry(registry);
    requests = Counter.builder(REQUESTS)
        .description("S3 requests sent for locking, after the SDK's retries")
        .withRegistry(registry);
    holdTime = Timer.builder(HOLD_TIME)
        .description("Time from acquiring a lock to releasing it, in store time")
        .withRegistry(registry);
    leasesLost = Counter.builder(LEASES_LOST)
        .description("Leases found taken over or deleted when their holder released or extended them")
        .withRegistry(registry);
  }

  @Override
  public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
    attempts.withTags("lock", lockName, "outcome", outcome.name().toLowerCase(Locale.ROOT)).increment();
    acquireLatency.withTags("lock", lockName).record(latency);
  }

  @Override
  public void requestCompleted(Request request, int status) {
    requests.withTags("method", request.name(), "status", Integer.toString(status)).increment();
  }

  @Override
  public void released(String lockName, Duration heldFor) {
    // In server-time mode the store clock estimate can step back a little between acquire and release, and a
    // Micrometer timer silently drops negative durations: clamp, so that the timer's count is every release.
    holdTime.withTags("lock", lockName).record(heldFor.isNegative() ? Duration.ZERO : heldFor);
  }

  @Override
  public void leaseLost(String lockName) {
    leasesLost.withTags("lock", lockName).increment();
  }
}
