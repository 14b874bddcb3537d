package io.github.s3lock.testing;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * Where a test suite's S3 lives: the embedded server, or an external endpoint (Ceph radosgw, real AWS) named by
 * environment variables. A suite written against {@code TestStore} runs unchanged on every store.
 *
 * <p>External stores are read from {@code <PREFIX>_ENDPOINT} (empty for AWS), {@code <PREFIX>_REGION},
 * {@code <PREFIX>_PATH_STYLE} ({@code true}/{@code false}), {@code <PREFIX>_BUCKET} (optional: a bucket that
 * exists; otherwise each test creates its own) and the credentials {@code <PREFIX>_ACCESS_KEY_ID} /
 * {@code <PREFIX>_SECRET_ACCESS_KEY}, or the AWS SDK default chain when those are absent.
 */
public final class TestStore {

  /** Environment prefix of the Ceph radosgw that {@code scripts/radosgw.sh} starts. */
  public static final String RADOSGW = "S3LOCK_RADOSGW";

  private final String name;
  private final Optional<URI> endpoint;
  private final Region region;
  private final boolean pathStyle;
  private final Optional<String> fixedBucket;
  private final AwsCredentialsProvider credentials;

  private TestStore(String name, Optional<URI> endpoint, Region region, boolean pathStyle,
      Optional<String> fixedBucket, AwsCredentialsProvider credentials) {
    this.name = name;
    this.endpoint = endpoint;
    this.region = region;
    this.pathStyle = pathStyle;
    this.fixedBucket = fixedBucket;
    this.credentials = credentials;
  }

  static TestStore embedded(EmbeddedS3 server) {
    return new TestStore("embedded-s3mock", Optional.of(server.endpoint()), Region.US_EAST_1, true,
        Optional.empty(), StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")));
  }

  /**
   * The embedded, serialized S3Mock shared by this JVM.
   *
   * @return the store of {@link EmbeddedS3#shared()}, which starts on the first call (about 6 s)
   * @throws IllegalStateException when S3Mock is not on the classpath (the message names the dependency)
   */
  public static TestStore embedded() {
    return EmbeddedS3.shared().store();
  }

  /**
   * Whether the environment describes an external store, for a suite to skip itself when it does not.
   *
   * @param prefix the variables' prefix, e.g. {@link #RADOSGW}
   * @return true when {@code <prefix>_ENDPOINT} or {@code <prefix>_REGION} is set
   */
  public static boolean isConfigured(String prefix) {
    Map<String, String> env = System.getenv();
    return env.containsKey(prefix + "_ENDPOINT") || env.containsKey(prefix + "_REGION");
  }

  /**
   * The external store described by environment variables that start with {@code prefix}.
   *
   * @param prefix the variables' prefix, e.g. {@link #RADOSGW}
   * @return the store; its region defaults to {@code us-east-1}, and path-style to whether an endpoint is set
   * @throws IllegalStateException when the store is not configured (see {@link #isConfigured})
   */
  public static TestStore fromEnvironment(String prefix) {
    if (!isConfigured(prefix)) {
      throw new IllegalStateException("Set " + prefix + "_ENDPOINT (and " + prefix
          + "_ACCESS_KEY_ID / _SECRET_ACCESS_KEY) to run the suites against an external S3 store");
    }
    Map<String, String> env = System.getenv();
    Optional<URI> endpoint = Optional.ofNullable(env.get(prefix + "_ENDPOINT"))
        .filter(s -> !s.isBlank()).map(URI::create);
    Region region = Region.of(env.getOrDefault(prefix + "_REGION", "us-east-1"));
    boolean pathStyle = Boolean.parseBoolean(env.getOrDefault(prefix + "_PATH_STYLE",
        endpoint.isPresent() ? "true" : "false"));
    Optional<String> bucket = Optional.ofNullable(env.get(prefix + "_BUCKET")).filter(s -> !s.isBlank());
    String accessKey = env.get(prefix + "_ACCESS_KEY_ID");
    String secretKey = env.get(prefix + "_SECRET_ACCESS_KEY");
    AwsCredentialsProvider credentials = accessKey != null && secretKey != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey))
        : DefaultCredentialsProvider.builder().build();
    return new TestStore(prefix.toLowerCase(Locale.ROOT), endpoint, region, pathStyle, bucket, credentials);
  }

  /**
   * A short name for test reports: {@code embedded-s3mock}, {@code s3lock_radosgw}, ...
   *
   * @return {@code embedded-s3mock}, or the environment prefix in lower case
   */
  public String name() {
    return name;
  }

  /**
   * The endpoint the clients of this store are sent to.
   *
   * @return the endpoint; empty for AWS, where the SDK derives it from the region
   */
  public Optional<URI> endpoint() {
    return endpoint;
  }

  /**
   * The region the clients of this store sign for.
   *
   * @return the region; {@code us-east-1} for the embedded server and when none is configured
   */
  public Region region() {
    return region;
  }

  /**
   * Whether the clients of this store put the bucket in the path ({@code endpoint/bucket/key}), not the host name.
   *
   * @return true for the embedded server; for an external store, as configured, by default true when it has an
   *     endpoint
   */
  public boolean pathStyle() {
    return pathStyle;
  }

  /**
   * A client builder set up for this store: path-style where needed, and checksums only when an operation
   * requires them (radosgw 16 rejects the SDK's default flexible checksums with 400 XAmzContentSHA256Mismatch).
   *
   * @param interceptors registered in this order; a {@link RequestCounter} before a {@link FaultInjector} sees the
   *     statuses the injector makes up
   * @return a builder, for a test to set timeouts or retries before it builds the client
   */
  public S3ClientBuilder clientBuilder(ExecutionInterceptor... interceptors) {
    S3ClientBuilder builder = S3Client.builder()
        .region(region)
        .credentialsProvider(credentials)
        .forcePathStyle(pathStyle)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> {
          for (ExecutionInterceptor interceptor : interceptors) {
            o.addExecutionInterceptor(interceptor);
          }
        });
    endpoint.ifPresent(builder::endpointOverride);
    return builder;
  }

  /**
   * A client for this store, as {@link #clientBuilder} sets it up.
   *
   * @param interceptors registered in this order, as for {@link #clientBuilder}
   * @return a new client, which the caller closes
   */
  public S3Client newClient(ExecutionInterceptor... interceptors) {
    return clientBuilder(interceptors).build();
  }

  /**
   * A bucket for one test: the configured one, or a new bucket with a unique name. Tests that need isolation
   * within a fixed bucket use a unique key prefix as well.
   *
   * @param client a client of this store, which creates the new bucket
   * @return the bucket's name
   */
  public String newBucket(S3Client client) {
    if (fixedBucket.isPresent()) {
      return fixedBucket.get();
    }
    String bucket = "s3lock-" + UUID.randomUUID().toString().substring(0, 18);
    client.createBucket(b -> b.bucket(bucket));
    return bucket;
  }

  @Override
  public String toString() {
    return name + endpoint.map(e -> " at " + e).orElse("");
  }
}
