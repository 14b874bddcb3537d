package io.github.s3lock.examples.core;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two nodes race for one lock, round after round, on the embedded S3: who won each round, the fencing token,
 * and how many S3 requests the protocol spent.
 */
public final class CoreDemo {

  private static final int ROUNDS = 10;
  private static final String LOCK = "nightly-report";

  public static void main(String[] args) throws Exception {
    try (EmbeddedS3 server = EmbeddedS3.start()) {
      TestStore store = server.store();
      List<Node> nodes = new ArrayList<>();
      String bucket = null;
      for (String name : List.of("node-a", "node-b")) {
        RequestCounter requests = new RequestCounter();
        S3Client s3 = store.newClient(requests);
        if (bucket == null) {
          bucket = store.newBucket(s3);
        }
        S3LockClient locks = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix("demo/").lockedBy(name)
            .build();
        // The first lock of a client runs the conformance probe (about 7 requests); not counted below.
        locks.tryAcquire("warm-up-" + name, Instant.now().plusSeconds(60));
        requests.reset();
        nodes.add(new Node(name, locks, requests));
      }

      System.out.printf("%nTwo nodes race for lock '%s' on the embedded S3 (s3://%s/demo/):%n", LOCK, bucket);
      ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
      int cycles = 0;
      int doubleWins = 0;
      for (int round = 1; round <= ROUNDS; round++) {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Optional<Lease>>> attempts = new ArrayList<>();
        for (Node node : nodes) {
          attempts.add(pool.submit(() -> {
            start.await();
            return node.locks.tryAcquire(LOCK, Instant.now().plus(Duration.ofSeconds(30)));
          }));
        }
        start.countDown();
        // Collect every node's answer before anyone releases: two leases held at once would be a broken lock.
        List<String> winners = new ArrayList<>();
        List<Runnable> releases = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
          Optional<Lease> lease = attempts.get(i).get();
          if (lease.isPresent()) {
            Node node = nodes.get(i);
            winners.add(node.name + " (fencing token " + lease.get().token() + ")");
            releases.add(() -> node.locks.release(lease.get(), Instant.now()));
            cycles++;
          }
        }
        releases.forEach(Runnable::run);
        doubleWins += winners.size() > 1 ? 1 : 0;
        System.out.printf("  round %2d: %s%n", round, winners.isEmpty() ? "nobody (both lost a race)"
            : String.join(", ", winners));
      }
      pool.shutdown();

      System.out.printf("%nS3 requests (lock + unlock + refusals):%n");
      int total = 0;
      for (Node node : nodes) {
        System.out.printf("  %s: %s%n", node.name, node.requests.byMethod());
        total += node.requests.total();
      }
      System.out.printf("  %d lock cycles, %d requests in all: %.2f requests per cycle, %d rounds with two winners"
          + " (must be 0)%n%n", cycles, total, (double) total / cycles, doubleWins);
      if (doubleWins > 0) {
        System.exit(1);
      }
    }
  }

  private record Node(String name, S3LockClient locks, RequestCounter requests) {}
}
