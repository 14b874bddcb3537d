package io.github.s3lock.benchmarks;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.testing.RequestCounter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Lock cycles per second and S3 requests per cycle as the number of lock names and of nodes grows. Each node has
 * its own S3 client and lock client and {@value #THREADS_PER_NODE} threads that lock and unlock names picked at
 * random, as fast as they can, against the in-memory S3 with {@value #LATENCY_MILLIS} ms added to every request
 * (about S3 Express One Zone). Wall time: waiting is the point here.
 */
public final class Scaling {

  private static final long LATENCY_MILLIS = 10;
  private static final int THREADS_PER_NODE = 4;
  private static final Duration WARM_UP = Duration.ofSeconds(1);
  private static final Duration MEASURED = Duration.ofSeconds(3);
  private static final Duration LEASE = Duration.ofSeconds(30);

  private record Cell(double cyclesPerSecond, double refusalsPerSecond, double putPerCycle, double getPerCycle,
      double putPerSecond, long errors, double cpuPercent) {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "target/benchmarks-scaling.md");
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder md = new StringBuilder("### Scaling: lock names and nodes\n\n")
        .append("Each node: its own S3 client and lock client, ").append(THREADS_PER_NODE)
        .append(" threads locking and unlocking names picked at random, back to back. In-memory S3 with ")
        .append(LATENCY_MILLIS).append(" ms added to every request (about S3 Express One Zone); ")
        .append(WARM_UP.toSeconds()).append(" s warm-up and ").append(MEASURED.toSeconds())
        .append(" s measured per row. \"Cycle\" is a successful lock + unlock; a refusal is a try that found the ")
        .append("name held. CPU is this process's CPU time over the row's wall time, as a share of the machine's ")
        .append(cores).append(" cores: near 100% means the client machine, not the store, set the pace.\n\n")
        .append("| names | nodes | threads | cycles/s | refusals/s | PUT per cycle | GET per cycle | PUT/s, all names ")
        .append("| PUT/s per name | errors | CPU |\n")
        .append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    int[][] grid = {{1, 1}, {1, 2}, {1, 4}, {1, 8}, {10, 4}, {100, 1}, {100, 2}, {100, 4}, {100, 8}, {1000, 4},
        {1000, 8}};
    BenchStore store = BenchStore.inMemory();
    for (int[] g : grid) {
      int names = g[0];
      int nodes = g[1];
      Cell c = measure(store, names, nodes);
      md.append(String.format("| %d | %d | %d | %.0f | %.0f | %.2f | %.2f | %.0f | %s | %d | %.0f%% |%n", names,
          nodes, nodes * THREADS_PER_NODE, c.cyclesPerSecond, c.refusalsPerSecond, c.putPerCycle, c.getPerCycle,
          c.putPerSecond, names == 1 ? String.format("%.0f", c.putPerSecond)
              : String.format("%.1f", c.putPerSecond / names), c.errors, c.cpuPercent));
      System.out.println(md.substring(md.lastIndexOf("\n", md.length() - 2) + 1).trim());
    }
    md.append('\n');
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static Cell measure(BenchStore store, int names, int nodes) throws Exception {
    S3Client admin = store.newClient();
    String bucket = store.newBucket(admin);
    List<RequestCounter> counters = new ArrayList<>();
    List<S3Client> clients = new ArrayList<>();
    List<S3LockClient> locks = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      RequestCounter counter = new RequestCounter();
      S3Client s3 = store.newClient(counter, new AddedLatency(LATENCY_MILLIS));
      S3LockClient client = S3LockClient.builder().s3Client(s3).bucket(bucket).lockedBy("node-" + i).build();
      client.tryAcquire("warm-up-" + i, Instant.now().plusSeconds(60)); // runs the probe, not counted
      counters.add(counter);
      clients.add(s3);
      locks.add(client);
    }
    LongAdder cycles = new LongAdder();
    LongAdder refusals = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (S3LockClient client : locks) {
      for (int t = 0; t < THREADS_PER_NODE; t++) {
        Thread worker = new Thread(() -> {
          while (!stop.get()) {
            String name = "name-" + ThreadLocalRandom.current().nextInt(names);
            try {
              Optional<Lease> lease = client.tryAcquire(name, Instant.now().plus(LEASE));
              if (lease.isPresent()) {
                client.release(lease.get(), Instant.now());
                cycles.increment();
              } else {
                refusals.increment();
              }
            } catch (RuntimeException e) {
              errors.increment();
            }
          }
        });
        worker.setDaemon(true);
        worker.start();
        threads.add(worker);
      }
    }
    Thread.sleep(WARM_UP.toMillis());
    counters.forEach(RequestCounter::reset);
    cycles.reset();
    refusals.reset();
    errors.reset();
    long cpu0 = processCpuNanos();
    long start = System.nanoTime();
    Thread.sleep(MEASURED.toMillis());
    long c = cycles.sum();
    long r = refusals.sum();
    long e = errors.sum();
    int put = counters.stream().mapToInt(x -> x.count("PUT")).sum();
    int get = counters.stream().mapToInt(x -> x.count("GET") + x.count("HEAD")).sum();
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9 / seconds / Runtime.getRuntime().availableProcessors() * 100;
    stop.set(true);
    for (Thread t : threads) {
      t.join();
    }
    clients.forEach(S3Client::close);
    admin.close();
    return new Cell(c / seconds, r / seconds, c == 0 ? 0 : put / (double) c, c == 0 ? 0 : get / (double) c,
        put / seconds, e, cpu);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
