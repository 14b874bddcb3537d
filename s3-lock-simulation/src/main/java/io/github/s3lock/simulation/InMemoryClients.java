package io.github.s3lock.simulation;

import java.net.URI;
import java.time.Duration;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Real-time S3 clients over a fault-free {@link InMemoryS3}: for the bad-input and security tests, and public for
 * the benchmarks, which measure the client's own CPU cost against it (no network, no server threads).
 */
public final class InMemoryClients {

  /** The bucket that exists in the store from the start. */
  public static final String BUCKET = "sim-bucket";

  final RealTimeline time = new RealTimeline();
  final InMemoryS3 store = new InMemoryS3(time, Duration.ZERO);

  public InMemoryClients() {
    store.createBucket(BUCKET);
    store.recordWrites(false); // nothing here checks a history, and a long benchmark must not fill the heap
  }

  /**
   * A client for benchmarks: placeholder credentials (the in-memory store checks no signatures) and no simulated
   * network latency (add your own with an interceptor).
   */
  public S3Client client(ExecutionInterceptor... interceptors) {
    return client(new SimHttpClient(store, time, FaultPlan.instant(), 0),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("in-memory", "in-memory")), interceptors);
  }

  S3Client client(AwsCredentialsProvider credentials, ExecutionInterceptor... interceptors) {
    SimHttpClient http = new SimHttpClient(store, time, new FaultPlan(new Random(0), FaultPlan.Rates.NONE), 0);
    return client(http, credentials, interceptors);
  }

  private static S3Client client(SimHttpClient http, AwsCredentialsProvider credentials,
      ExecutionInterceptor... interceptors) {
    return S3Client.builder()
        .httpClient(http)
        .region(Region.US_EAST_1)
        .credentialsProvider(credentials)
        // https, as on AWS: the SDK then sends UNSIGNED-PAYLOAD instead of signing the body in aws-chunked
        // frames, which it does only over plain http. Nothing is encrypted; the bytes never leave the JVM.
        .endpointOverride(URI.create("https://s3.sim.invalid"))
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> {
          for (ExecutionInterceptor i : interceptors) {
            o.addExecutionInterceptor(i);
          }
        })
        .build();
  }
}
