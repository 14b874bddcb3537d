package io.github.s3lock.examples.shedlock;

import io.github.s3lock.testing.EmbeddedS3;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.util.StringUtils;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * One node of a scheduler cluster: two {@code @Scheduled @SchedulerLock} tasks ({@link ExampleTasks}) and the
 * S3 lock provider that s3-lock-spring-boot-autoconfigure creates from {@code application.properties}
 * ({@code s3lock.bucket}). Run several and each tick of each task runs on one of them.
 *
 * <p>Where the locks live:
 * <ul>
 *   <li>{@code s3lock.endpoint} or {@code s3lock.region} set, or {@code AWS_REGION} in the environment: that store,
 *       through the S3 client the auto-configuration builds from {@code s3lock.*}, credentials from the AWS default
 *       chain; the bucket must exist (the start-up check says so if it does not);</li>
 *   <li>else: an embedded S3 server in this JVM (S3Mock, serialized so that its conditional writes are atomic),
 *       given to the auto-configuration as the application's {@code S3Client} bean, bucket created.</li>
 * </ul>
 */
@SpringBootApplication
@EnableScheduling
@EnableSchedulerLock(defaultLockAtMostFor = "PT30S")
public class ShedLockExampleApplication {

  public static void main(String[] args) {
    new SpringApplicationBuilder(ShedLockExampleApplication.class)
        // The embedded S3 server brings Tomcat onto the classpath; this app itself serves nothing.
        .web(WebApplicationType.NONE)
        .run(args);
  }

  /**
   * Scheduled tasks run here. Depending on the lock provider makes Spring stop the scheduler (and wait up to 10 s
   * for running tasks) before it destroys the provider and its S3 client, letting a running task release its lock.
   */
  @Bean
  ThreadPoolTaskScheduler taskScheduler(LockProvider lockProvider) {
    ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
    scheduler.setPoolSize(2);
    scheduler.setThreadNamePrefix("scheduling-");
    scheduler.setWaitForTasksToCompleteOnShutdown(true);
    scheduler.setAwaitTerminationSeconds(10);
    return scheduler;
  }

  /** The embedded S3 server's client, when no store is configured; the demo counts its requests. */
  @Bean(destroyMethod = "close")
  @Conditional(NoStoreConfigured.class)
  S3Client embeddedS3Client(@Value("${s3lock.bucket}") String bucket,
      ObjectProvider<ExecutionInterceptor> interceptors) {
    S3Client embedded = EmbeddedS3.shared().store()
        .newClient(interceptors.orderedStream().toArray(ExecutionInterceptor[]::new));
    createIfMissing(embedded, bucket);
    return embedded;
  }

  @Bean
  @ConditionalOnMissingBean
  ExecutionLog executionLog() {
    return new ExecutionLog(true);
  }

  /** No {@code s3lock.endpoint}, no {@code s3lock.region}, no {@code AWS_REGION}: use the embedded server. */
  static final class NoStoreConfigured implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      Environment env = context.getEnvironment();
      return !StringUtils.hasText(env.getProperty("s3lock.endpoint"))
          && !StringUtils.hasText(env.getProperty("s3lock.region")) && System.getenv("AWS_REGION") == null;
    }
  }

  private static void createIfMissing(S3Client s3, String bucket) {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (NoSuchBucketException e) {
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException raced) {
        // Another node of this JVM created it first.
      }
    }
  }
}
