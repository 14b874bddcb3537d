package io.github.s3lock.spring;

import io.github.s3lock.quartz.S3Semaphore;
import io.github.s3lock.quartz.S3SemaphoreShutdownPlugin;
import io.github.s3lock.spring.S3LockAutoConfiguration.S3LockS3Client;
import java.util.Properties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.quartz.autoconfigure.JobStoreType;
import org.springframework.boot.quartz.autoconfigure.QuartzProperties;
import org.springframework.boot.quartz.autoconfigure.SchedulerFactoryBeanCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.quartz.SchedulerFactoryBean;

/**
 * {@code s3lock.quartz.enabled=true}: Spring Boot's Quartz with a JDBC job store
 * ({@code spring.quartz.job-store-type=jdbc}) keeps its cluster locks in S3 ({@link SpringS3Semaphore}), on the S3
 * client of s3-lock's auto-configuration, with no hand-written {@code org.quartz.jobStore.lockHandler.*}
 * properties. It adds to {@code spring.quartz.properties}:
 * <ul>
 *   <li>{@code org.quartz.jobStore.lockHandler.class} = {@link SpringS3Semaphore}, and the lock handler's
 *       {@code bucket}, {@code keyPrefix}, {@code leaseMillis}, {@code acquireTimeoutMillis}, {@code timeMode},
 *       {@code lockedBy} from {@code s3lock.*}, unless set there already;</li>
 *   <li>{@code org.quartz.jobStore.acquireTriggersWithinLock=true} (without it Quartz takes triggers without any
 *       lock and fires some twice, Quartz issue #107), and {@code isClustered=true} and {@code instanceId=AUTO}
 *       unless set;</li>
 *   <li>the {@link S3SemaphoreShutdownPlugin}, which ends the lock renewal threads when the scheduler shuts
 *       down.</li>
 * </ul>
 */
@AutoConfiguration(after = S3LockAutoConfiguration.class)
@ConditionalOnClass({S3Semaphore.class, SchedulerFactoryBean.class, SchedulerFactoryBeanCustomizer.class})
@ConditionalOnProperty(prefix = "s3lock.quartz", name = "enabled", havingValue = "true")
@ConditionalOnBean(S3LockS3Client.class)
@EnableConfigurationProperties({S3LockProperties.class, QuartzProperties.class})
public class S3LockQuartzAutoConfiguration {

  static final String JOB_STORE = "org.quartz.jobStore.";
  static final String LOCK_HANDLER = JOB_STORE + "lockHandler.";
  private static final String SPRING = "spring.quartz.properties.";

  @Bean
  SchedulerFactoryBeanCustomizer s3LockQuartzLockHandler(S3LockProperties s3lock, QuartzProperties quartz) {
    return scheduler -> scheduler.setQuartzProperties(quartzProperties(s3lock, quartz));
  }

  /** Boot's {@code spring.quartz.properties} (which it has set already) with the S3 lock handler's added. */
  static Properties quartzProperties(S3LockProperties s3lock, QuartzProperties quartz) {
    if (quartz.getJobStoreType() != JobStoreType.JDBC) {
      throw new S3LockStartupException("s3lock.quartz.enabled=true, but spring.quartz.job-store-type is "
          + quartz.getJobStoreType().name().toLowerCase(java.util.Locale.ROOT) + ": the S3 lock handler locks a"
          + " clustered JDBC job store, and an in-memory job store has no cluster.", "Set"
          + " spring.quartz.job-store-type=jdbc (with a DataSource), or remove s3lock.quartz.enabled.", null);
    }
    Properties p = new Properties();
    p.putAll(quartz.getProperties());
    String handler = p.getProperty(LOCK_HANDLER + "class");
    if (handler != null && !handler.trim().equals(SpringS3Semaphore.class.getName())) {
      throw new S3LockStartupException("s3lock.quartz.enabled=true installs " + SpringS3Semaphore.class.getName()
          + " as Quartz's lock handler, but " + SPRING + LOCK_HANDLER + "class names " + handler.trim() + ".",
          "Remove one of the two: s3lock.quartz.enabled=true (the S3 client and settings of s3lock.*), or the"
          + " hand-written lock handler properties.", null);
    }
    String withinLock = p.getProperty(JOB_STORE + "acquireTriggersWithinLock");
    if (withinLock != null && withinLock.trim().equalsIgnoreCase("false")) {
      throw new S3LockStartupException(SPRING + JOB_STORE + "acquireTriggersWithinLock=false: a clustered Quartz"
          + " then acquires triggers without any lock and fires some twice (Quartz issue #107), whatever the lock"
          + " handler.", "Remove the property (s3lock.quartz.enabled=true sets it to true).", null);
    }
    p.setProperty(LOCK_HANDLER + "class", SpringS3Semaphore.class.getName());
    p.setProperty(JOB_STORE + "acquireTriggersWithinLock", "true");
    p.putIfAbsent(JOB_STORE + "isClustered", "true");
    p.putIfAbsent("org.quartz.scheduler.instanceId", "AUTO");
    S3LockProperties.Quartz q = s3lock.quartz();
    p.putIfAbsent(LOCK_HANDLER + "bucket", s3lock.bucket().trim());
    p.putIfAbsent(LOCK_HANDLER + "keyPrefix", q.keyPrefix());
    p.putIfAbsent(LOCK_HANDLER + "leaseMillis", Long.toString(q.lease().toMillis()));
    p.putIfAbsent(LOCK_HANDLER + "acquireTimeoutMillis", Long.toString(q.acquireTimeout().toMillis()));
    p.putIfAbsent(LOCK_HANDLER + "timeMode", s3lock.serverTime() ? "SERVER" : "CLIENT");
    if (s3lock.lockedBy() != null && !s3lock.lockedBy().isBlank()) {
      p.putIfAbsent(LOCK_HANDLER + "lockedBy", s3lock.lockedBy());
    }
    boolean shutdownPlugin = p.entrySet().stream().anyMatch(e -> e.getKey().toString().startsWith("org.quartz.plugin.")
        && S3SemaphoreShutdownPlugin.class.getName().equals(e.getValue().toString().trim()));
    if (!shutdownPlugin) {
      p.setProperty("org.quartz.plugin.s3Semaphore.class", S3SemaphoreShutdownPlugin.class.getName());
    }
    return p;
  }
}
