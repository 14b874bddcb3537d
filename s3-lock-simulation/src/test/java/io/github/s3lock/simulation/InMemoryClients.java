package io.github.s3lock.simulation;

import java.net.URI;
import java.time.Duration;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Real-time S3 clients over a fault-free {@link InMemoryS3}, for the bad-input and security tests. */
final class InMemoryClients {

  final RealTimeline time = new RealTimeline();
  final InMemoryS3 store = new InMemoryS3(time, Duration.ZERO);

  InMemoryClients() {
    store.createBucket(Simulation.BUCKET);
  }

  S3Client client(AwsCredentialsProvider credentials, ExecutionInterceptor... interceptors) {
    SimHttpClient http = new SimHttpClient(store, time, new FaultPlan(new Random(0), FaultPlan.Rates.NONE), 0);
    return S3Client.builder()
        .httpClient(http)
        .region(Region.US_EAST_1)
        .credentialsProvider(credentials)
        .endpointOverride(URI.create("http://s3.sim.invalid"))
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
