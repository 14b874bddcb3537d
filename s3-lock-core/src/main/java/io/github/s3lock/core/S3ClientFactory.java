package io.github.s3lock.core;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * The one place that builds S3 clients for lock stores, AWS S3 or S3-compatible (the Quartz properties, the
 * Spring Boot auto-configuration and the CLI use it), so that every client gets what the protocol needs:
 * checksums only when an operation requires them (Ceph radosgw 16 rejects the SDK's default flexible checksums
 * with 400 XAmzContentSHA256Mismatch), path-style addressing for stores that need it, and, when given, call
 * timeouts that bound a lock operation.
 *
 * <pre>{@code
 * S3Client s3 = S3ClientFactory.builder().endpoint("http://127.0.0.1:7480").pathStyle(true).build();
 * }</pre>
 */
public final class S3ClientFactory {

  private S3ClientFactory() {}

  /** @return a builder; with nothing set it builds a client for AWS S3 from the SDK's default chains */
  public static Builder builder() {
    return new Builder();
  }

  /** What a lock store's client needs; unset values come from the SDK's default chains. */
  public static final class Builder {
    private String region;
    private URI endpoint;
    private boolean pathStyle;
    private Duration callTimeout;
    private AwsCredentialsProvider credentials;
    private final List<ExecutionInterceptor> interceptors = new ArrayList<>();

    private Builder() {}

    /**
     * @param region the bucket's region (e.g. {@code eu-west-1}); blank or null: the SDK's region chain
     * @return this builder
     */
    public Builder region(String region) {
      this.region = region == null || region.isBlank() ? null : region.trim();
      return this;
    }

    /**
     * @param endpoint the endpoint of an S3-compatible store; blank or null: AWS S3
     * @return this builder
     * @throws IllegalArgumentException when it is not a URI
     */
    public Builder endpoint(String endpoint) {
      this.endpoint = endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint.trim());
      return this;
    }

    /**
     * @param endpoint the endpoint of an S3-compatible store; null: AWS S3
     * @return this builder
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /**
     * @param pathStyle whether to address {@code endpoint/bucket/key} (most S3-compatible stores) instead of
     *     {@code bucket.endpoint/key}; default false
     * @return this builder
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /**
     * @param callTimeout how long one S3 call may take, the SDK's retries included; each attempt gets half of it.
     *     Null (the default): the SDK's defaults, which can wait 30 s per attempt
     * @return this builder
     */
    public Builder callTimeout(Duration callTimeout) {
      this.callTimeout = callTimeout;
      return this;
    }

    /**
     * @param credentials where credentials come from; null (the default): the SDK's default chain
     * @return this builder
     */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * @param interceptor an SDK interceptor to add, e.g. a request counter in tests
     * @return this builder
     */
    public Builder interceptor(ExecutionInterceptor interceptor) {
      interceptors.add(interceptor);
      return this;
    }

    /** @return the SDK builder with all of the above applied, for settings this factory does not cover */
    public S3ClientBuilder sdkBuilder() {
      S3ClientBuilder builder = S3Client.builder()
          .forcePathStyle(pathStyle)
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .overrideConfiguration(o -> {
            interceptors.forEach(o::addExecutionInterceptor);
            if (callTimeout != null) {
              o.apiCallTimeout(callTimeout).apiCallAttemptTimeout(callTimeout.dividedBy(2));
            }
          });
      if (region != null) {
        builder.region(Region.of(region));
      }
      if (endpoint != null) {
        builder.endpointOverride(endpoint);
      }
      if (credentials != null) {
        builder.credentialsProvider(credentials);
      }
      return builder;
    }

    /** @return a new S3 client; close it when done */
    public S3Client build() {
      return sdkBuilder().build();
    }
  }
}
