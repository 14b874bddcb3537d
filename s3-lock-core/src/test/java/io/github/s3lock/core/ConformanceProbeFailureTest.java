package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The two commonest set-up mistakes, as the conformance probe (on by default) meets them first: the message
 * must carry the SDK's own cause and the fix, not only "answered UNKNOWN".
 */
class ConformanceProbeFailureTest {

  @Test
  void missingCredentialsAreNamedWithTheWaysToProvideThem() {
    // What the SDK's default chain throws when it finds nothing (its message, shortened).
    AwsCredentialsProvider none = () -> {
      throw SdkClientException.create("Unable to load credentials from any of the providers in the chain"
          + " AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(),"
          + " EnvironmentVariableCredentialsProvider()])");
    };
    try (S3Client s3 = S3ClientFactory.builder().region("us-east-1").endpoint("http://127.0.0.1:" + closedPort())
        .pathStyle(true).credentials(none).build()) {
      S3LockClient locks = S3LockClient.builder().s3Client(s3).bucket("b").keyPrefix("locks/").build();

      assertThatThrownBy(() -> locks.tryAcquire("report", Instant.now().plusSeconds(60)))
          .isInstanceOfSatisfying(S3LockException.class,
              e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE))
          .hasMessageStartingWith("Conformance probe of s3://b/locks/ could not sign its first request: no AWS"
              + " credentials (Unable to load credentials from any of the providers in the chain")
          .hasMessageContaining("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
          .hasMessageContaining("or run with a container or instance role")
          .hasMessageNotContaining("UNKNOWN")
          .hasRootCauseInstanceOf(SdkClientException.class);
    }
  }

  @Test
  void anUnreachableEndpointKeepsTheConnectionError() throws IOException {
    int port = closedPort();
    try (S3Client s3 = S3ClientFactory.builder().region("us-east-1").endpoint("http://127.0.0.1:" + port)
        .pathStyle(true).credentials(() -> software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
            "AKIDEXAMPLE", "secret-that-must-not-show")).build()) {
      S3LockAdmin admin = S3LockClient.builder().s3Client(s3).bucket("b").keyPrefix("locks/").buildAdmin();

      assertThatThrownBy(admin::probe)
          .isInstanceOfSatisfying(S3LockException.class,
              e -> assertThat(e.kind()).isEqualTo(S3LockException.Kind.UNAVAILABLE))
          .hasMessageStartingWith("Conformance probe of s3://b/locks/ failed: creating locks/.s3-lock-probe/")
          .hasMessageContaining("/object with If-None-Match: * got no answer (Unable to execute HTTP request")
          .hasMessageContaining("127.0.0.1:" + port)
          .hasMessageContaining("Connection refused")
          .hasMessageContaining("Check the S3Client's endpoint and region, the network and the store's health")
          .hasMessageNotContaining("secret-that-must-not-show")
          .hasCauseInstanceOf(SdkClientException.class);
    }
  }

  /** A loopback port that nothing listens on (it was free a moment ago). */
  private static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
