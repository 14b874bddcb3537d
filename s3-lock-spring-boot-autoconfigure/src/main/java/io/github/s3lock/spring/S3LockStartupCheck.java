package io.github.s3lock.spring;

import io.github.s3lock.core.StoreDialect;
import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.spring.S3LockAutoConfiguration.S3LockS3Client;
import io.github.s3lock.spring.S3LockProperties.StartupCheck;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

/**
 * Checks the lock store once at start-up, so that a missing bucket, missing credentials, an unreachable endpoint,
 * denied access or a store that ignores conditional writes shows when the application starts, not at the first
 * tick of a nightly task. {@code s3lock.startup-check} says what a failure does: fail the start (default), log one
 * WARN line, or skip the check.
 *
 * <ul>
 *   <li>ShedLock's prefix: while the provider bean is built, the conformance probe ({@link #probeForProvider}); the
 *       provider then starts with the dialect it found and needs no probe of its own at its first lock, which
 *       would otherwise delay that node's first tick by a few round trips. With {@code s3lock.probe=false}, one
 *       GET once every bean exists.</li>
 *   <li>Quartz's prefix ({@code s3lock.quartz.enabled=true}): the probe, once every bean exists, which is before
 *       Spring starts the scheduler.</li>
 * </ul>
 */
final class S3LockStartupCheck implements SmartInitializingSingleton {

  private static final Logger log = LoggerFactory.getLogger(S3LockStartupCheck.class);

  static final String ACTION = "Fix the cause named above. To start anyway and only log it, set"
      + " s3lock.startup-check=warn; s3lock.startup-check=off skips the check.";

  private final S3LockProperties properties;
  private final S3LockS3Client s3;
  private final ObjectProvider<S3LockProvider> provider;

  S3LockStartupCheck(S3LockProperties properties, S3LockS3Client s3, ObjectProvider<S3LockProvider> provider) {
    this.properties = properties;
    this.s3 = s3;
    this.provider = provider;
  }

  /**
   * The conformance probe of ShedLock's prefix, for the provider being built.
   *
   * @return the store's dialect when the store is fit for locking; empty when the check is off or failed with
   *     {@code warn} (the provider then probes at its first lock, and fails there)
   */
  Optional<StoreDialect> probeForProvider() {
    if (properties.startupCheck() == StartupCheck.OFF) {
      return Optional.empty();
    }
    return Optional.ofNullable(check(properties.keyPrefix(), true).dialect());
  }

  @Override
  public void afterSingletonsInstantiated() {
    if (properties.startupCheck() == StartupCheck.OFF) {
      return;
    }
    // Built now if it is not yet: under spring.main.lazy-initialization=true it would be built, and probed, only
    // when the first task runs.
    S3LockProvider shedlock = provider.getIfAvailable();
    if (shedlock != null && !properties.probe()) {
      check(properties.keyPrefix(), false);
    }
    if (properties.quartz().enabled()) {
      ClassLoader loader = getClass().getClassLoader();
      if (!ClassUtils.isPresent("io.github.s3lock.quartz.S3Semaphore", loader) || !ClassUtils.isPresent(
          "org.springframework.boot.quartz.autoconfigure.SchedulerFactoryBeanCustomizer", loader)) {
        report("s3lock.quartz.enabled=true, but io.github.s3lock:quartz-s3-jobstore-lock or Spring Boot's Quartz"
            + " support (spring-boot-starter-quartz) is not on the classpath, so Quartz keeps its own lock.",
            "Add both dependencies, or remove s3lock.quartz.enabled.", null);
      } else {
        check(properties.quartz().keyPrefix(), properties.probe());
      }
    }
  }

  private LockStoreCheck.Outcome check(String prefix, boolean probe) {
    LockStoreCheck check = new LockStoreCheck(s3.client(), properties.bucket().trim(), prefix,
        properties.serverTime());
    long started = System.nanoTime();
    LockStoreCheck.Outcome outcome = probe ? check.probe() : check.read();
    if (outcome.passed()) {
      log.info("s3-lock start-up check of {}: {} ({} ms)", check.where(), outcome.message(),
          (System.nanoTime() - started) / 1_000_000);
    } else {
      report("s3-lock's start-up check of " + check.where() + " failed: " + outcome.message(), ACTION,
          outcome.cause());
    }
    return outcome;
  }

  private void report(String problem, String action, RuntimeException cause) {
    if (properties.startupCheck() == StartupCheck.FAIL) {
      throw new S3LockStartupException(problem, action, cause);
    }
    // One line: the message names the cause and the fix; the stack trace says nothing more to the user.
    log.warn("{} Locks fail until it is fixed (s3lock.startup-check=warn; set fail to stop the start instead).",
        problem);
  }
}
