package io.github.s3lock.compat.boot3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.net.URI;
import net.javacrumbs.shedlock.core.LockProvider;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.SpringVersion;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What a Spring Boot 3 application gets when it adds s3-lock-testing for its interceptors: its own Spring stays
 * in charge (S3Mock, a Spring Boot 4 application, used to arrive with it and break the context), the context with
 * a ShedLock provider on an intercepted client starts, and the embedded server, which needs S3Mock, says what to add
 * instead of failing deep inside Spring. Needs no S3: the provider's probe waits for the first lock.
 */
@SpringBootTest(classes = SpringBootThreeClasspathTest.App.class)
class SpringBootThreeClasspathTest {

  @Configuration
  @Import(SchedulerLockApplication.class)
  static class App {
    @Bean
    S3Client s3Client(RequestCounter counter, FaultInjector faults) {
      return S3Client.builder()
          .region(Region.US_EAST_1)
          .credentialsProvider(AnonymousCredentialsProvider.create())
          .endpointOverride(URI.create("http://127.0.0.1:9"))
          .forcePathStyle(true)
          .overrideConfiguration(o -> o.addExecutionInterceptor(counter).addExecutionInterceptor(faults))
          .build();
    }

    @Bean
    LockProvider lockProvider(S3Client s3) {
      return new S3LockProvider(s3, "not-contacted-by-this-test");
    }
  }

  @Autowired
  LockProvider lockProvider;

  @Autowired
  RequestCounter counter;

  @Test
  void theApplicationRunsOnItsOwnSpringBootThree() {
    assertThat(SpringBootVersion.getVersion()).startsWith("3.5.");
    assertThat(SpringVersion.getVersion()).startsWith("6.");
  }

  @Test
  void s3LockTestingBringsNeitherS3MockNorSpringBootFour() {
    assertThatThrownBy(() -> Class.forName("com.adobe.testing.s3mock.S3MockApplication"))
        .isInstanceOf(ClassNotFoundException.class);
    // S3Mock 5 runs on Spring Boot 4's Tomcat module, a package that Spring Boot 3 does not have.
    assertThatThrownBy(() -> Class.forName("org.springframework.boot.tomcat.TomcatWebServer"))
        .isInstanceOf(ClassNotFoundException.class);
  }

  @Test
  void theContextWithTheProviderOnAnInterceptedClientStartsWithoutARequest() {
    assertThat(lockProvider).isInstanceOf(S3LockProvider.class);
    assertThat(counter.total()).isZero();
  }

  @Test
  void theEmbeddedServerNamesTheDependencyItNeeds() {
    assertThatThrownBy(TestStore::embedded)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("com.adobe.testing:s3mock:5.2.0")
        .hasMessageContaining("S3LOCK_RADOSGW_ENDPOINT");
  }
}
