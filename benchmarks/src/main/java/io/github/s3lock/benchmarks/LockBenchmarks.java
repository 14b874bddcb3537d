package io.github.s3lock.benchmarks;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.MovableClock;
import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.DefaultLockingTaskExecutor;
import net.javacrumbs.shedlock.core.LockConfiguration;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Measures what each lock operation costs in S3 requests (deterministic), in USD at S3 Standard prices, and in
 * wall time on the embedded S3 and, when {@code S3LOCK_RADOSGW_*} is set, on Ceph radosgw. Writes Markdown tables
 * to the file named by the first argument and to stdout. Benchmarks measure; they assert nothing.
 */
public final class LockBenchmarks {

  /** S3 Standard, us-east-1: PUT/COPY/POST/LIST $0.005 per 1,000; GET/HEAD $0.0004 per 1,000; DELETE free. */
  private static final double USD_PER_MILLION_PUT = 5.0;
  private static final double USD_PER_MILLION_GET = 0.4;
  private static final int LATENCY_SAMPLES = 300;
  private static final Duration LONG = Duration.ofMinutes(10);

  private final MovableClock clock = MovableClock.followingSystemTime();
  private final StringBuilder md = new StringBuilder();
  private int names;

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "target/benchmarks.md");
    LockBenchmarks bench = new LockBenchmarks();
    ClockProvider.setClock(bench.clock);
    bench.run();
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, bench.md);
    System.out.println(bench.md);
    System.out.println("written to " + out.toAbsolutePath());
  }

  private void run() throws Exception {
    BenchStore memory = BenchStore.inMemory();
    try (EmbeddedS3 server = EmbeddedS3.start()) {
      BenchStore embedded = BenchStore.of(server.store());
      requestsPerOperation(embedded);
      shedLockTicks(embedded);
      md.append("### Latency per operation\n\n")
          .append("Wall time of one call (S3 round trips included), ").append(LATENCY_SAMPLES)
          .append(" samples each after warm-up (").append(LATENCY_SAMPLES / 3)
          .append(" with added latency, which an interceptor adds before every request to the in-memory S3).")
          .append(" All rows of one run.\n\n")
          .append("| store | operation | p50 ms | p99 ms |\n|---|---|---:|---:|\n");
      latency(memory, "in-memory S3 (no network)", 0);
      latency(memory, "in-memory + 10 ms per request (about S3 Express)", 10);
      latency(memory, "in-memory + 60 ms per request (about S3 Standard)", 60);
      latency(embedded, "S3Mock 5.2, one worker (loopback HTTP)", 0);
      if (TestStore.isConfigured(TestStore.RADOSGW)) {
        latency(BenchStore.of(TestStore.fromEnvironment(TestStore.RADOSGW)), "Ceph radosgw 16.2 (loopback HTTP)", 0);
      } else {
        md.append("| Ceph radosgw | not running: start it with `scripts/radosgw.sh` | | |\n");
      }
      clientCost(embedded);
    }
    md.append('\n');
  }

  /** One node of a benchmark: its own S3 client, request counter and lock client (cache). */
  private record Node(String name, S3Client s3, RequestCounter requests, S3LockClient locks) {}

  private Node node(BenchStore store, String bucket, String name) {
    return node(store, bucket, name, 0);
  }

  private Node node(BenchStore store, String bucket, String name, long addedLatencyMillis) {
    RequestCounter requests = new RequestCounter();
    S3Client s3 = store.newClient(requests, new AddedLatency(addedLatencyMillis));
    S3LockClient locks = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix("bench/").lockedBy(name)
        .clock(clock).build();
    locks.tryAcquire("warm-up-" + name, clock.instant().plusSeconds(60)); // runs the probe, not counted
    requests.reset();
    return new Node(name, s3, requests, locks);
  }

  private String newName() {
    return "lock-" + (++names);
  }

  private Instant later(Duration d) {
    return clock.instant().plus(d);
  }

  private void requestsPerOperation(BenchStore store) {
    S3Client admin = store.newClient();
    String bucket = store.newBucket(admin);
    Node a = node(store, bucket, "node-a");
    Node b = node(store, bucket, "node-b");

    md.append("### S3 requests per operation\n\n")
        .append("Counted on the wire (every attempt) with `RequestCounter`; the same on every store. USD per million ")
        .append("operations at S3 Standard prices (PUT $0.005 and GET/HEAD $0.0004 per 1,000; DELETE free).\n\n")
        .append("| scenario | PUT | GET | HEAD | DELETE | requests | USD per million | ShedLock s3v2 provider |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---|\n");

    String n1 = newName();
    Lease[] l1 = new Lease[1];
    row("first lock of a name", a, () -> l1[0] = a.locks.tryAcquire(n1, later(LONG)).orElseThrow(),
        "2 (HEAD + PUT)");
    row("unlock", a, () -> a.locks.release(l1[0], clock.instant()), "3 (HEAD + GET + PUT)");
    Lease[] l2 = new Lease[1];
    row("re-acquire by the same node (it released last)", a,
        () -> l2[0] = a.locks.tryAcquire(n1, later(LONG)).orElseThrow(), "2-3");
    row("held by another node, cold cache", b, () -> b.locks.tryAcquire(n1, later(LONG)), "1-2 (HEAD)");
    row("held by another node, warm cache", b, () -> b.locks.tryAcquire(n1, later(LONG)), "1 (HEAD)");
    Lease[] extended = new Lease[1];
    row("extend", a, () -> extended[0] = a.locks.extend(l2[0], later(LONG)).orElseThrow(), "3 (HEAD + GET + PUT)");
    a.locks.release(extended[0], clock.instant());
    row("takeover after another node released, warm", b,
        () -> b.locks.tryAcquire(n1, later(LONG)).orElseThrow(), "2-3");

    String n2 = newName();
    a.locks.release(a.locks.tryAcquire(n2, later(LONG)).orElseThrow(), clock.instant());
    row("takeover after another node released, cold", b,
        () -> b.locks.tryAcquire(n2, later(LONG)).orElseThrow(), "2-3");

    String n3 = newName();
    a.locks.tryAcquire(n3, later(Duration.ofSeconds(5))).orElseThrow();
    b.locks.tryAcquire(n3, later(LONG));
    clock.advance(Duration.ofSeconds(6));
    row("takeover of an expired lock (holder crashed), warm", b,
        () -> b.locks.tryAcquire(n3, later(LONG)).orElseThrow(), "2-3");

    String n4 = newName();
    a.locks.release(a.locks.tryAcquire(n4, later(LONG)).orElseThrow(), clock.instant());
    int cycles = 100;
    Map<String, Integer> steady = measure(a, () -> {
      for (int i = 0; i < cycles; i++) {
        a.locks.release(a.locks.tryAcquire(n4, later(LONG)).orElseThrow(), clock.instant());
      }
    });
    tableRow("uncontended lock + unlock cycle, steady state (mean of " + cycles + ")", steady, cycles,
        "5 (3 HEAD + 2 PUT)");
    md.append("\nThe last column is the request pattern of ShedLock's own `shedlock-provider-s3v2` for the same ")
        .append("scenario (from its source: a HEAD before every write, GET + PUT to unlock and to extend).\n\n");
    admin.close();
    a.s3.close();
    b.s3.close();
  }

  private void row(String scenario, Node node, Runnable op, String s3v2) {
    tableRow(scenario, measure(node, op), 1, s3v2);
  }

  private Map<String, Integer> measure(Node node, Runnable op) {
    node.requests.reset();
    op.run();
    return node.requests.byMethod();
  }

  private void tableRow(String scenario, Map<String, Integer> counts, int per, String s3v2) {
    double put = counts.getOrDefault("PUT", 0) / (double) per;
    double get = counts.getOrDefault("GET", 0) / (double) per;
    double head = counts.getOrDefault("HEAD", 0) / (double) per;
    double delete = counts.getOrDefault("DELETE", 0) / (double) per;
    double usd = put * USD_PER_MILLION_PUT + (get + head) * USD_PER_MILLION_GET;
    md.append(String.format("| %s | %s | %s | %s | %s | %s | %.2f | %s |%n", scenario, num(put), num(get), num(head),
        num(delete), num(put + get + head + delete), usd, s3v2));
  }

  private static String num(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.format("%.2f", d);
  }

  private void shedLockTicks(BenchStore store) throws Exception {
    md.append("### A `@SchedulerLock` tick on an N-node cluster\n\n")
        .append("Every node calls ShedLock's `LockingTaskExecutor` for the same task at the same moment ")
        .append("(lockAtMostFor 60 s, lockAtLeastFor 5 s); ticks are 10 s apart (clock moved, not waited). ")
        .append("Steady state: mean of 20 ticks after 2 warm-up ticks.\n\n")
        .append("| nodes | runs per tick | PUT per tick | GET per tick | requests per tick | USD per million ticks |\n")
        .append("|---:|---:|---:|---:|---:|---:|\n");
    for (int n : new int[] {2, 4, 8}) {
      S3Client admin = store.newClient();
      String bucket = store.newBucket(admin);
      List<RequestCounter> counters = new ArrayList<>();
      List<DefaultLockingTaskExecutor> executors = new ArrayList<>();
      List<S3Client> clients = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        RequestCounter c = new RequestCounter();
        S3Client s3 = store.newClient(c);
        S3LockProvider provider = S3LockProvider.builder().s3Client(s3).bucket(bucket).lockedBy("node-" + i).build();
        counters.add(c);
        clients.add(s3);
        executors.add(new DefaultLockingTaskExecutor(provider));
      }
      ExecutorService pool = Executors.newFixedThreadPool(n);
      AtomicInteger runs = new AtomicInteger();
      int warmUp = 2;
      int ticks = 20;
      for (int t = 0; t < warmUp + ticks; t++) {
        if (t == warmUp) {
          counters.forEach(RequestCounter::reset);
          runs.set(0);
        }
        LockConfiguration config = new LockConfiguration(ClockProvider.now(), "report", Duration.ofSeconds(60),
            Duration.ofSeconds(5));
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (DefaultLockingTaskExecutor executor : executors) {
          futures.add(pool.submit(() -> {
            start.await();
            executor.executeWithLock((Runnable) runs::incrementAndGet, config);
            return null;
          }));
        }
        start.countDown();
        for (Future<?> f : futures) {
          f.get();
        }
        clock.advance(Duration.ofSeconds(10));
      }
      pool.shutdown();
      int put = counters.stream().mapToInt(c -> c.count("PUT")).sum();
      int get = counters.stream().mapToInt(c -> c.count("GET") + c.count("HEAD")).sum();
      double perTickPut = put / (double) ticks;
      double perTickGet = get / (double) ticks;
      md.append(String.format("| %d | %s | %s | %s | %s | %.2f |%n", n, num(runs.get() / (double) ticks),
          num(perTickPut), num(perTickGet), num(perTickPut + perTickGet),
          perTickPut * USD_PER_MILLION_PUT + perTickGet * USD_PER_MILLION_GET));
      clients.forEach(S3Client::close);
      admin.close();
    }
    md.append('\n');
  }

  private void latency(BenchStore store, String label, long addedLatencyMillis) {
    S3Client admin = store.newClient();
    String bucket = store.newBucket(admin);
    Node a = node(store, bucket, "node-a", addedLatencyMillis);
    Node b = node(store, bucket, "node-b", addedLatencyMillis);
    int samples = addedLatencyMillis > 0 ? LATENCY_SAMPLES / 3 : LATENCY_SAMPLES;
    String shared = newName();
    Lease held = a.locks.tryAcquire(shared, later(LONG)).orElseThrow();
    b.locks.tryAcquire(shared, later(LONG));

    String cycling = newName();
    a.locks.release(a.locks.tryAcquire(cycling, later(LONG)).orElseThrow(), clock.instant());
    // Warm up the JIT and the connections.
    for (int i = 0; i < 20; i++) {
      a.locks.release(a.locks.tryAcquire(cycling, later(LONG)).orElseThrow(), clock.instant());
      b.locks.tryAcquire(shared, later(LONG));
    }
    long[] create = new long[samples];
    long[] reacquire = new long[samples];
    long[] release = new long[samples];
    long[] refused = new long[samples];
    long[] extend = new long[samples];
    Lease[] current = {held};
    for (int i = 0; i < samples; i++) {
      String fresh = newName();
      create[i] = time(() -> a.locks.tryAcquire(fresh, later(LONG)).orElseThrow());
      Lease[] lease = new Lease[1];
      reacquire[i] = time(() -> lease[0] = a.locks.tryAcquire(cycling, later(LONG)).orElseThrow());
      release[i] = time(() -> a.locks.release(lease[0], clock.instant()));
      refused[i] = time(() -> b.locks.tryAcquire(shared, later(LONG)));
      extend[i] = time(() -> current[0] = a.locks.extend(current[0], later(LONG)).orElseThrow());
    }
    latencyRow(label, "lock a new name (1 PUT)", create);
    latencyRow(label, "re-acquire (1 PUT)", reacquire);
    latencyRow(label, "unlock (1 PUT)", release);
    latencyRow(label, "refused, held by another (1 GET)", refused);
    latencyRow(label, "extend (1 PUT)", extend);
    admin.close();
    a.s3.close();
    b.s3.close();
  }

  /**
   * CPU time and bytes allocated by the calling thread per operation: the client's own cost (SDK, HTTP client,
   * protocol), since the embedded server answers on its own threads. Measured with the JVM's per-thread
   * counters rather than JMH: the server shares the JVM, so only per-thread accounting separates the two.
   */
  private void clientCost(BenchStore store) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    S3Client admin = store.newClient();
    String bucket = store.newBucket(admin);
    Node a = node(store, bucket, "node-a");
    Node b = node(store, bucket, "node-b");
    String shared = newName();
    a.locks.tryAcquire(shared, later(LONG)).orElseThrow();
    String cycling = newName();
    int warmUp = 300;
    int measured = 1000;
    md.append("\n### Client CPU and allocation per operation, over loopback HTTP\n\n")
        .append("CPU time and bytes allocated by the calling thread (AWS SDK, Apache HTTP client and protocol ")
        .append("together), mean of ").append(measured).append(" operations after ").append(warmUp)
        .append(" warm-up ones, against the embedded S3 (which answers on its own threads, not counted).\n\n")
        .append("| operation | CPU µs per op | KiB allocated per op |\n|---|---:|---:|\n");
    for (int round = 0; round < 2; round++) {
      int n = round == 0 ? warmUp : measured;
      long cpu0 = threads.getCurrentThreadCpuTime();
      long alloc0 = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      for (int i = 0; i < n; i++) {
        a.locks.release(a.locks.tryAcquire(cycling, later(LONG)).orElseThrow(), clock.instant());
      }
      long cpu1 = threads.getCurrentThreadCpuTime();
      long alloc1 = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      for (int i = 0; i < n; i++) {
        b.locks.tryAcquire(shared, later(LONG));
      }
      long cpu2 = threads.getCurrentThreadCpuTime();
      long alloc2 = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      if (round == 1) {
        md.append(String.format("| lock + unlock cycle (2 PUTs) | %.0f | %.1f |%n", (cpu1 - cpu0) / 1e3 / n,
            (alloc1 - alloc0) / 1024.0 / n));
        md.append(String.format("| refused, held by another (1 GET) | %.0f | %.1f |%n", (cpu2 - cpu1) / 1e3 / n,
            (alloc2 - alloc1) / 1024.0 / n));
      }
    }
    admin.close();
    a.s3.close();
    b.s3.close();
  }

  private static long time(Supplier<?> op) {
    long start = System.nanoTime();
    op.get();
    return System.nanoTime() - start;
  }

  private static long time(Runnable op) {
    long start = System.nanoTime();
    op.run();
    return System.nanoTime() - start;
  }

  private void latencyRow(String store, String op, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    double p50 = sorted[sorted.length / 2] / 1e6;
    double p99 = sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6;
    md.append(String.format("| %s | %s | %.1f | %.1f |%n", store, op, p50, p99));
  }
}
