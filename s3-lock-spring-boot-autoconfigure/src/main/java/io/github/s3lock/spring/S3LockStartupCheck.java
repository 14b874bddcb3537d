package io.github.s3lock.spring;

import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.spring.S3LockAutoConfiguration.S3LockS3Client;
import io.github.s3lock.spring.S3LockProperties.StartupCheck;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

/**
 * Checks the lock store once at start-up, after every bean exists and before scheduling starts (Spring registers
 * {@code @Scheduled} tasks and starts Quartz later): so a missing bucket, missing credentials, an unreachable
 * endpoint, denied access or a store that ignores conditional writes shows at start, not at the first tick of a
 * nightly task. With {@code s3lock.probe=true} (default) it runs the conformance probe under each prefix in use
 * (ShedLock's, Quartz's); with the probe off, one GET. {@code s3lock.startup-check} says what a failure does.
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

  @Override
  public void afterSingletonsInstantiated() {
    if (properties.startupCheck() == StartupCheck.OFF) {
      return;
    }
    List<String> prefixes = new ArrayList<>();
    if (provider.getIfAvailable() != null) {
      prefixes.add(properties.keyPrefix());
    }
    if (properties.quartz().enabled()) {
      if (!ClassUtils.isPresent("io.github.s3lock.quartz.S3Semaphore", getClass().getClassLoader())
          || !ClassUtils.isPresent("org.springframework.boot.quartz.autoconfigure.SchedulerFactoryBeanCustomizer",
              getClass().getClassLoader())) {
        report("s3lock.quartz.enabled=true, but io.github.s3lock:quartz-s3-jobstore-lock or Spring Boot's Quartz"
            + " support (spring-boot-starter-quartz) is not on the classpath, so Quartz keeps its own lock.",
            "Add both dependencies, or remove s3lock.quartz.enabled.", null);
      } else {
        prefixes.add(properties.quartz().keyPrefix());
      }
    }
    for (String prefix : prefixes) {
      LockStoreCheck check = new LockStoreCheck(s3.client(), properties.bucket(), prefix, properties.serverTime());
      long started = System.nanoTime();
      LockStoreCheck.Outcome outcome = properties.probe() ? check.probe() : check.read();
      if (outcome.passed()) {
        log.info("s3-lock start-up check of {}: {} ({} ms)", check.where(), outcome.message(),
            (System.nanoTime() - started) / 1_000_000);
      } else {
        report("s3-lock's start-up check of " + check.where() + " failed: " + outcome.message(), ACTION,
            outcome.cause());
      }
    }
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
