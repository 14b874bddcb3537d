package io.github.s3lock.compat.boot3;

import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.RequestCounter;
import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A Boot 3 application with {@code @SchedulerLock} and s3-lock-testing's interceptors as beans for its S3 client
 * (what a Boot 3 user adds s3-lock-testing for). Each test adds its S3 client and lock provider.
 */
@Configuration
@EnableScheduling
@EnableSchedulerLock(defaultLockAtMostFor = "PT30S")
class SchedulerLockApplication {

  @Bean
  RequestCounter requestCounter() {
    return new RequestCounter();
  }

  @Bean
  FaultInjector faultInjector() {
    return new FaultInjector();
  }
}
