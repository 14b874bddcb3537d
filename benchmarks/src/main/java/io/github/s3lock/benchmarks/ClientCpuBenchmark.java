package io.github.s3lock.benchmarks;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The client's own cost per lock operation, against the in-memory S3 (answered in the calling thread: no
 * network, no server threads), so that time per operation is CPU time: the AWS SDK's request pipeline (marshalling,
 * SigV4 signing, response parsing) plus the lock protocol. {@link #sdkPutBaseline} is one plain PutObject of a
 * lock-sized body, to show how much of a lock operation the SDK alone costs.
 */
@State(Scope.Thread)
public class ClientCpuBenchmark {

  private static final Duration LEASE = Duration.ofMinutes(10);

  private S3Client holderS3;
  private S3Client otherS3;
  private S3LockClient holder;
  private S3LockClient other;
  private String bucket;
  private final byte[] lockSizedBody = new byte[230];

  @Setup
  public void setUp() {
    BenchStore store = BenchStore.inMemory();
    holderS3 = store.newClient();
    otherS3 = store.newClient();
    bucket = store.newBucket(holderS3);
    holder = S3LockClient.builder().s3Client(holderS3).bucket(bucket).lockedBy("node-a").build();
    other = S3LockClient.builder().s3Client(otherS3).bucket(bucket).lockedBy("node-b").build();
    // The first lock of each client runs the conformance probe: do it here, outside the measurement.
    holder.tryAcquire("warm-up", Instant.now().plus(LEASE));
    other.tryAcquire("warm-up-other", Instant.now().plus(LEASE));
    holder.tryAcquire("held", Instant.now().plus(Duration.ofDays(1))).orElseThrow();
    other.tryAcquire("held", Instant.now().plus(LEASE)); // warms node-b's cache: refusals are conditional GETs
    holder.release(holder.tryAcquire("cycling", Instant.now().plus(LEASE)).orElseThrow(), Instant.now());
  }

  @TearDown
  public void tearDown() {
    holderS3.close();
    otherS3.close();
  }

  /** Lock and unlock a name this node released last: 2 PUTs. */
  @Benchmark
  public Lease lockUnlockCycle() {
    Lease lease = holder.tryAcquire("cycling", Instant.now().plus(LEASE)).orElseThrow();
    holder.release(lease, Instant.now());
    return lease;
  }

  /** Try a name another node holds, with a warm cache: 1 conditional GET (304). */
  @Benchmark
  public Optional<Lease> refusedHeldByAnother() {
    return other.tryAcquire("held", Instant.now().plus(LEASE));
  }

  /** One unconditional PutObject of a lock-sized body through the same SDK client: the SDK's floor. */
  @Benchmark
  public Object sdkPutBaseline() {
    return holderS3.putObject(b -> b.bucket(bucket).key("baseline"), RequestBody.fromBytes(lockSizedBody));
  }
}
