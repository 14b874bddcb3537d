package io.github.s3lock.examples.shedlock;

import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.EmbeddedS3;
import java.net.URI;
import java.time.Duration;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;

/**
 * One node of a scheduler cluster: two {@code @Scheduled @SchedulerLock} tasks ({@link ExampleTasks}) and the
 * S3 lock provider. Run several and each tick of each task runs on one of them.
 *
 * <p>Where the locks live:
 * <ul>
 *   <li>{@code s3lock.endpoint} set (e.g. {@code http://127.0.0.1:7480} for radosgw): that endpoint, path-style,
 *       region {@code s3lock.region} (default {@code us-east-1}), credentials from the AWS default chain;</li>
 *   <li>else {@code AWS_REGION} set: AWS S3, region and credentials from the AWS default chain;</li>
 *   <li>else: an embedded S3 server in this JVM (S3Mock, serialized so that its conditional writes are atomic).</li>
 * </ul>
 * The bucket is {@code s3lock.bucket} (default {@code shedlock-example}); it must exist on a real store and is
 * created on the embedded one.
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

  @Bean
  LockProvider lockProvider(S3Client s3, @Value("${s3lock.bucket:shedlock-example}") String bucket,
      @Value("${s3lock.node:}") String node) {
    S3LockProvider.Builder builder = S3LockProvider.builder().s3Client(s3).bucket(bucket);
    if (!node.isBlank()) {
      builder.lockedBy(node);
    }
    S3LockProvider provider = builder.build();
    // Take and release a lock once at start-up: a missing bucket, denied access or a store that ignores
    // conditional writes then fails the start, not the first tick; and the provider's one-time conformance
    // probe (a few requests) does not delay the first tick of a task past its lockAtLeastFor.
    provider.lock(new LockConfiguration(ClockProvider.now(), "startup-check", Duration.ofSeconds(5), Duration.ZERO))
        .ifPresent(SimpleLock::unlock);
    return provider;
  }

  /**
   * The scheduler that runs the {@code @Scheduled} methods. It takes the lock provider as a parameter so that it
   * is created after it (the first tick finds the provider ready, its start-up check done) and shut down before
   * it and its S3 client, letting a running task release its lock.
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

  @Bean(destroyMethod = "close")
  S3Client s3Client(@Value("${s3lock.endpoint:}") String endpoint, @Value("${s3lock.region:}") String region,
      @Value("${s3lock.bucket:shedlock-example}") String bucket, ObjectProvider<ExecutionInterceptor> interceptors) {
    ExecutionInterceptor[] extra = interceptors.orderedStream().toArray(ExecutionInterceptor[]::new);
    if (endpoint.isBlank() && region.isBlank() && System.getenv("AWS_REGION") == null) {
      S3Client embedded = EmbeddedS3.shared().store().newClient(extra);
      createIfMissing(embedded, bucket);
      return embedded;
    }
    S3ClientBuilder builder = S3Client.builder()
        // Checksums only where S3 requires them: radosgw 16 rejects the SDK's default flexible checksums.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> {
          for (ExecutionInterceptor interceptor : extra) {
            o.addExecutionInterceptor(interceptor);
          }
        });
    if (!endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true)
          .region(Region.of(region.isBlank() ? "us-east-1" : region));
    } else if (!region.isBlank()) {
      builder.region(Region.of(region));
    }
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean
  ExecutionLog executionLog() {
    return new ExecutionLog(true);
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
