package io.github.s3lock.spring;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.core.S3ClientFactory;
import io.github.s3lock.core.TimeMode;
import io.github.s3lock.micrometer.MicrometerLockListener;
import io.github.s3lock.shedlock.S3LockProvider;
import io.micrometer.core.instrument.MeterRegistry;
import net.javacrumbs.shedlock.core.LockProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Creates ShedLock's {@link LockProvider} on S3 ({@link S3LockProvider}) from {@code s3lock.*} properties, when
 * {@code s3lock.bucket} is set and the application defines no {@code LockProvider} of its own, and checks the lock
 * store once at start-up ({@code s3lock.startup-check}). Uses the application's {@link S3Client} bean if there is
 * exactly one (or one marked primary), else builds a client of its own with {@link S3ClientFactory} from the AWS
 * SDK's default chains and {@code s3lock.region/endpoint/path-style}, and closes it on shutdown. Records Micrometer
 * meters ({@link MicrometerLockListener}) when Micrometer is present and a {@link MeterRegistry} bean exists,
 * unless the application defines its own {@link LockListener} bean, which is then used instead.
 *
 * <p>Without {@code s3lock.bucket}, {@link S3LockWithoutBucketAutoConfiguration} reports it when something needs it.
 */
// After Boot's metrics auto-configuration, so that its MeterRegistry is visible to @ConditionalOnBean
// (Boot 4 name first, Boot 3 second; a name that is not on the classpath is ignored).
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({S3LockProvider.class, LockProvider.class, S3Client.class})
@Conditional(BucketConditions.BucketSet.class)
@EnableConfigurationProperties(S3LockProperties.class)
public class S3LockAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(LockProvider.class)
  S3LockProvider s3LockProvider(S3LockProperties properties, S3LockS3Client s3,
      ObjectProvider<LockListener> listener, S3LockStartupCheck startupCheck) {
    S3LockProvider.Builder builder = S3LockProvider.builder()
        .s3Client(s3.client())
        .bucket(properties.bucket().trim())
        .keyPrefix(properties.keyPrefix())
        .timeMode(properties.serverTime() ? TimeMode.SERVER : TimeMode.CLIENT)
        .probe(properties.probe())
        .listener(listener.getIfAvailable(() -> LockListener.NONE));
    if (properties.lockedBy() != null && !properties.lockedBy().isBlank()) {
      builder.lockedBy(properties.lockedBy());
    }
    if (properties.probe()) {
      // Probed now, at start-up: the provider need not probe again before its first lock.
      startupCheck.probeForProvider().ifPresent(dialect -> builder.probe(false).dialect(dialect));
    }
    return builder.build();
  }

  // Not an S3Client bean: that would hand our client, configured by s3lock.*, to every other S3 user in the
  // application, and make their auto-configurations back off.
  @Bean
  S3LockS3Client s3LockS3Client(S3LockProperties properties, ObjectProvider<S3Client> applicationClient) {
    S3Client given = applicationClient.getIfUnique();
    return given != null ? new S3LockS3Client(given, false) : new S3LockS3Client(newClient(properties), true);
  }

  @Bean
  S3LockStartupCheck s3LockStartupCheck(S3LockProperties properties, S3LockS3Client s3,
      ObjectProvider<S3LockProvider> provider) {
    return new S3LockStartupCheck(properties, s3, provider);
  }

  private static S3Client newClient(S3LockProperties properties) {
    try {
      return S3ClientFactory.builder()
          .region(properties.region())
          .endpoint(properties.endpoint())
          .pathStyle(properties.pathStyle())
          .build();
    } catch (SdkClientException e) {
      // Typically "Unable to load region from any of the providers in the chain".
      throw new S3LockStartupException("Cannot build the S3 client for s3-lock: " + e.getMessage(), "Set"
          + " s3lock.region (and s3lock.endpoint with s3lock.path-style=true for a store other than AWS S3), or"
          + " AWS_REGION, or define an S3Client bean.", e);
    }
  }

  /** The S3 client the provider uses, closed on shutdown only when this auto-configuration built it. */
  record S3LockS3Client(S3Client client, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        client.close();
      }
    }
  }

  /** Separate, so that nothing loads Micrometer's classes in an application without it. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  static class Metrics {

    @Bean
    @ConditionalOnBean(MeterRegistry.class)
    @ConditionalOnMissingBean(LockListener.class)
    MicrometerLockListener s3LockMetrics(MeterRegistry registry) {
      return new MicrometerLockListener(registry);
    }
  }
}
