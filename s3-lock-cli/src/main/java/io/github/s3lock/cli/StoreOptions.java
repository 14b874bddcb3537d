package io.github.s3lock.cli;

import io.github.s3lock.core.S3ClientFactory;
import io.github.s3lock.core.S3LockAdmin;
import io.github.s3lock.core.S3LockClient;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;

/** Where the locks live and how to reach them: the options every command shares. */
final class StoreOptions {

  @Option(names = "--bucket", required = true, paramLabel = "BUCKET", description = "The bucket that holds the locks.")
  String bucket;

  @Option(names = "--prefix", paramLabel = "PREFIX",
      description = {"Key prefix of the lock objects, as configured in your application. Default: list, show and"
          + " release look under the default prefixes of the core (locks/), the ShedLock provider (shedlock/) and"
          + " the Quartz semaphore (quartz-locks/<scheduler>/<tablePrefix>/); probe uses locks/."})
  String prefix;

  @Option(names = "--endpoint", paramLabel = "URL",
      description = "Endpoint of an S3-compatible store, e.g. http://ceph.internal:7480 (default: AWS S3).")
  URI endpoint;

  @Option(names = "--region", paramLabel = "REGION",
      description = "Region (default: AWS_REGION, ~/.aws/config or the instance's region, else us-east-1).")
  String region;

  @Option(names = "--path-style",
      description = "Use path-style URLs (http://host/BUCKET/key); most stores other than AWS S3 need this.")
  boolean pathStyle;

  @Option(names = {"-v", "--verbose"}, description = "Print the stack trace of an error.")
  boolean verbose;

  /** An S3 client for these options; credentials from the default chain only. */
  S3Client s3Client(List<ExecutionInterceptor> interceptors) {
    AwsCredentialsProvider credentials = DefaultCredentialsProvider.builder().build();
    try {
      credentials.resolveCredentials();
    } catch (SdkClientException e) {
      throw new CommandFailure("No AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
          + " AWS_PROFILE (~/.aws/credentials, SSO), or run where a container or instance role is available.", e);
    }
    S3ClientFactory.Builder factory = S3ClientFactory.builder()
        .region(region().id())
        .credentials(credentials)
        .endpoint(endpoint)
        .pathStyle(pathStyle);
    interceptors.forEach(factory::interceptor);
    return factory.build();
  }

  /** True when {@code --prefix} was given: look there only. */
  boolean prefixGiven() {
    return prefix != null;
  }

  /** The operators' entry point on {@code --prefix}, or on the core's default {@code locks/}. */
  S3LockAdmin admin(S3Client s3) {
    return admin(s3, prefixGiven() ? prefix : LockLocations.CORE);
  }

  /** The operators' entry point on {@code keyPrefix}; forced releases are recorded as done by {@code user@host}. */
  S3LockAdmin admin(S3Client s3, String keyPrefix) {
    return S3LockClient.builder()
        .s3Client(s3)
        .bucket(bucket)
        .keyPrefix(keyPrefix)
        .lockedBy(operator())
        .buildAdmin();
  }

  /** {@code s3://bucket/prefix} of {@link #admin(S3Client)}, and the endpoint when it is not AWS S3. */
  String where() {
    return "s3://" + bucket + "/" + (prefixGiven() ? prefix : LockLocations.CORE) + at();
  }

  /** {@code s3://bucket}, and the endpoint when it is not AWS S3. */
  String bucketWhere() {
    return "s3://" + bucket + at();
  }

  private String at() {
    return endpoint == null ? "" : " at " + endpoint;
  }

  private Region region() {
    if (region != null && !region.isBlank()) {
      return Region.of(region);
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      return Region.US_EAST_1;
    }
  }

  private static String operator() {
    String user = System.getProperty("user.name", "unknown");
    try {
      return user + "@" + InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return user;
    }
  }
}
