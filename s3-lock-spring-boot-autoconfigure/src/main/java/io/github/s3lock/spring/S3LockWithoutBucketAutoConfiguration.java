package io.github.s3lock.spring;

import io.github.s3lock.spring.S3LockProperties.StartupCheck;
import net.javacrumbs.shedlock.core.LockProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.util.ClassUtils;

/**
 * When {@code s3lock.bucket} is missing or empty, {@link S3LockAutoConfiguration} creates nothing. That is right for
 * an application that does not lock, but an application that forgot the property would start cleanly and fail at
 * the first tick of every task: ShedLock looks its {@link LockProvider} up only when a task runs. So, at start-up,
 * this reports the missing property when ShedLock's {@code @EnableSchedulerLock} is in use and no
 * {@code LockProvider} exists, or when {@code s3lock.quartz.enabled=true}: as a failed start, or one WARN line with
 * {@code s3lock.startup-check=warn}.
 */
@AutoConfiguration
@Conditional(BucketConditions.BucketMissing.class)
@EnableConfigurationProperties(S3LockProperties.class)
public class S3LockWithoutBucketAutoConfiguration {

  private static final String ENABLE_SCHEDULER_LOCK =
      "net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock";

  @Bean
  static SmartInitializingSingleton s3LockBucketCheck(S3LockProperties properties, ListableBeanFactory beans) {
    return () -> check(properties, beans);
  }

  private static void check(S3LockProperties properties, ListableBeanFactory beans) {
    if (properties.startupCheck() == StartupCheck.OFF) {
      return;
    }
    String needs;
    if (properties.quartz().enabled()) {
      needs = "s3lock.quartz.enabled=true needs it for Quartz's locks";
    } else if (schedulerLockEnabled(beans) && beans.getBeanNamesForType(LockProvider.class).length == 0) {
      needs = "ShedLock's @EnableSchedulerLock is in use and there is no LockProvider bean, so every @SchedulerLock"
          + " task would fail when it first runs";
    } else {
      return;
    }
    String problem = BucketConditions.PROPERTY + " is " + (properties.bucket() == null ? "not set" : "empty")
        + ", so s3-lock created no lock provider; " + needs + ".";
    String action = "Set " + BucketConditions.PROPERTY + " to the bucket for the lock objects (and s3lock.region,"
        + " or s3lock.endpoint with s3lock.path-style=true for a store other than AWS S3), or define your own"
        + " LockProvider bean.";
    if (properties.startupCheck() == StartupCheck.FAIL) {
      throw new S3LockStartupException(problem, action, null);
    }
    Logger log = LoggerFactory.getLogger(S3LockWithoutBucketAutoConfiguration.class);
    log.warn("{} {}", problem, action);
  }

  private static boolean schedulerLockEnabled(ListableBeanFactory beans) {
    ClassLoader loader = S3LockWithoutBucketAutoConfiguration.class.getClassLoader();
    if (!ClassUtils.isPresent(ENABLE_SCHEDULER_LOCK, loader)) {
      return false;
    }
    @SuppressWarnings("unchecked")
    Class<? extends java.lang.annotation.Annotation> annotation =
        (Class<? extends java.lang.annotation.Annotation>) ClassUtils.resolveClassName(ENABLE_SCHEDULER_LOCK, loader);
    return beans.getBeanNamesForAnnotation(annotation).length > 0;
  }
}
