package io.github.s3lock.benchmarks;

import io.github.s3lock.simulation.InMemoryClients;
import io.github.s3lock.testing.TestStore;
import java.util.UUID;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A store the benchmarks measure against: a server ({@link TestStore}: the embedded S3Mock, Ceph radosgw) or the
 * simulation's in-memory S3, which answers inside the calling thread with exactly S3's conditional-write
 * semantics, so that what remains is the client's own cost plus any latency an interceptor adds.
 */
interface BenchStore {

  S3Client newClient(ExecutionInterceptor... interceptors);

  /** A fresh bucket, so that measurements do not see each other's lock objects. */
  String newBucket(S3Client admin);

  static BenchStore of(TestStore store) {
    return new BenchStore() {
      @Override
      public S3Client newClient(ExecutionInterceptor... interceptors) {
        return store.newClient(interceptors);
      }

      @Override
      public String newBucket(S3Client admin) {
        return store.newBucket(admin);
      }
    };
  }

  static BenchStore inMemory() {
    InMemoryClients memory = new InMemoryClients();
    return new BenchStore() {
      @Override
      public S3Client newClient(ExecutionInterceptor... interceptors) {
        return memory.client(interceptors);
      }

      @Override
      public String newBucket(S3Client admin) {
        String bucket = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        admin.createBucket(b -> b.bucket(bucket));
        return bucket;
      }
    };
  }
}
