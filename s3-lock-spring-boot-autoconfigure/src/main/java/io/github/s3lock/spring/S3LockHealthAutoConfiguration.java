package io.github.s3lock.spring;

import io.github.s3lock.spring.S3LockAutoConfiguration.S3LockS3Client;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code s3lock} health indicator ({@link S3LockHealthIndicator}) when Spring Boot's health support (Actuator)
 * is on the classpath and {@code management.health.s3lock.enabled} is not false. Without Actuator nothing of it is
 * loaded: the class condition names the class as a string, and the conditions and beans that need Actuator's
 * classes sit in a nested configuration that Spring reads only once the outer condition has passed.
 */
@AutoConfiguration(after = S3LockAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(S3LockS3Client.class)
public class S3LockHealthAutoConfiguration {

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnEnabledHealthIndicator("s3lock")
  static class Indicator {

    @Bean
    @ConditionalOnMissingBean(name = "s3lockHealthIndicator")
    HealthIndicator s3lockHealthIndicator(S3LockProperties properties, S3LockS3Client s3) {
      return new S3LockHealthIndicator(new LockStoreCheck(s3.client(), properties.bucket().trim(),
          properties.keyPrefix(), properties.serverTime()), properties.health().timeToLive());
    }
  }
}
