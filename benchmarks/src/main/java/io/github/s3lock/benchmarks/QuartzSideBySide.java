package io.github.s3lock.benchmarks;

import io.github.s3lock.quartz.S3Semaphore;
import io.github.s3lock.quartz.S3SemaphoreShutdownPlugin;
import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.RequestCounter;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcConnectionPool;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.impl.jdbcjobstore.LockException;
import org.quartz.impl.jdbcjobstore.StdRowLockSemaphore;
import org.quartz.listeners.TriggerListenerSupport;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A two-node clustered Quartz on one H2 database, with Quartz's own row lock and with {@link S3Semaphore}, in
 * the same run: many short triggers for a fixed time; fired triggers per second, misfires, duplicate firings and
 * S3 requests per fired trigger. S3 round trips of real S3 are modelled by adding latency to each request sent
 * to the in-memory S3 (an interceptor that waits before the request goes out).
 */
public final class QuartzSideBySide {

  private static final int TRIGGERS = 20;
  private static final long INTERVAL_MILLIS = 200;
  private static final Duration RUN = Duration.ofSeconds(20);

  /** Requests of every S3 client the semaphores build, and the latency added to each. */
  static final RequestCounter REQUESTS = new RequestCounter();
  static volatile long addedLatencyMillis;

  /** Named in {@code s3ClientSupplier}: every semaphore of the run gets a client to the embedded S3. */
  public static final class Clients implements java.util.function.Supplier<S3Client> {
    static volatile BenchStore store;

    @Override
    public S3Client get() {
      return store.newClient(REQUESTS, new AddedLatency(addedLatencyMillis));
    }
  }

  private static final Map<String, AtomicInteger> FIRED = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> FIRED_BY_NODE = new ConcurrentHashMap<>();
  private static final AtomicInteger MISFIRES = new AtomicInteger();
  /** How long each obtainLock of TRIGGER_ACCESS took, in microseconds, while measuring. */
  private static final Queue<Long> TRIGGER_WAITS = new ConcurrentLinkedQueue<>();
  private static volatile boolean measuring;

  /** The job of every trigger: records the trigger, its scheduled fire time and the node that ran it. */
  public static final class Recorded implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      FIRED.computeIfAbsent(context.getTrigger().getKey().getName() + "@" + context.getScheduledFireTime().getTime(),
          k -> new AtomicInteger()).incrementAndGet();
      try {
        FIRED_BY_NODE.computeIfAbsent(context.getScheduler().getSchedulerInstanceId(), k -> new AtomicInteger())
            .incrementAndGet();
      } catch (SchedulerException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** {@link S3Semaphore}, timing how long each section waits for {@code TRIGGER_ACCESS}. */
  public static final class TimedS3Semaphore extends S3Semaphore {
    @Override
    public boolean obtainLock(Connection conn, String lockName) throws LockException {
      long started = System.nanoTime();
      boolean obtained = super.obtainLock(conn, lockName);
      recordWait(lockName, started);
      return obtained;
    }
  }

  /** Quartz's row lock, timed the same way. */
  public static final class TimedRowLock extends StdRowLockSemaphore {
    @Override
    public boolean obtainLock(Connection conn, String lockName) throws LockException {
      long started = System.nanoTime();
      boolean obtained = super.obtainLock(conn, lockName);
      recordWait(lockName, started);
      return obtained;
    }
  }

  private static void recordWait(String lockName, long started) {
    if (measuring && lockName.equals("TRIGGER_ACCESS")) {
      TRIGGER_WAITS.add((System.nanoTime() - started) / 1000);
    }
  }

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "target/benchmarks-quartz.md");
    StringBuilder md = new StringBuilder();
    md.append("### Quartz, two clustered nodes, side by side\n\n")
        .append(TRIGGERS).append(" triggers every ").append(INTERVAL_MILLIS).append(" ms (")
        .append(TRIGGERS * 1000 / INTERVAL_MILLIS).append(" firings/s asked for), ").append(RUN.toSeconds())
        .append(" s per variant, one H2 database, `acquireTriggersWithinLock=true`, 4 worker threads per node. ")
        .append("Same run, same machine. The \"+N ms\" variants run on the in-memory S3 and add N ms to every ")
        .append("request; \"embedded S3\" is S3Mock over loopback HTTP (~3-15 ms per request on this machine). ")
        .append("\"Batch of N\" sets `batchTriggerAcquisitionMaxCount=N` and a 100 ms ")
        .append("fire-ahead window. `S3Semaphore` runs with its defaults (lease affinity on: ")
        .append("`affinityIdleMillis=100`, `affinityMaxHoldMillis=2000`, `maxRetryIntervalMillis=500`, ")
        .append("`leaseMillis=30000`) unless the row says otherwise. \"Firings by node\" is the share of the ")
        .append("firings that node-a / node-b executed. \"Wait for TRIGGER_ACCESS\" is how long Quartz's ")
        .append("`obtainLock` took (99th percentile / longest): a node waits while the other holds the lock, so ")
        .append("the longest wait is about the time the lock takes to change hands. The ratio column compares ")
        .append("with the nearest row lock row above.\n\n")
        .append("| lock | fired/s | misfires | duplicates | S3 requests per fired trigger | firings by node ")
        .append("| wait for TRIGGER_ACCESS, p99 / max (ms) | fired/s vs row lock |\n")
        .append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    try (EmbeddedS3 server = EmbeddedS3.start()) {
      BenchStore embedded = BenchStore.of(server.store());
      BenchStore memory = BenchStore.inMemory();
      double baseline = 0;
      /** {@code maxHold}: affinityMaxHoldMillis, or -1 for the default. */
      record Variant(String label, BenchStore store, long latency, int batch, long maxHold) {
        boolean s3() {
          return store != null;
        }
      }
      for (Variant v : List.of(new Variant("Quartz `StdRowLockSemaphore` (H2 row lock)", null, 0, 1, -1),
          new Variant("`S3Semaphore`, embedded S3", embedded, 0, 1, -1),
          new Variant("`S3Semaphore`, +10 ms per request (about S3 Express)", memory, 10, 1, -1),
          new Variant("`S3Semaphore`, +60 ms per request (about S3 Standard)", memory, 60, 1, -1),
          new Variant("`S3Semaphore`, +60 ms, `affinityMaxHoldMillis=500`", memory, 60, 1, 500),
          new Variant("`S3Semaphore`, +60 ms, `affinityMaxHoldMillis=5000`", memory, 60, 1, 5000),
          new Variant("`S3Semaphore`, +60 ms, no affinity (`affinityMaxHoldMillis=0`)", memory, 60, 1, 0),
          new Variant("Quartz `StdRowLockSemaphore`, batch of 4", null, 0, 4, -1),
          new Variant("`S3Semaphore`, +60 ms per request, batch of 4", memory, 60, 4, -1),
          new Variant("`S3Semaphore`, +60 ms per request, batch of 16", memory, 60, 16, -1))) {
        addedLatencyMillis = v.latency();
        Clients.store = v.store();
        Result r = run(v.s3(), v.store(), v.batch(), v.maxHold());
        if (!v.s3()) {
          baseline = r.firedPerSecond();
        }
        String row = String.format("| %s | %.1f | %d | %d | %s | %s | %s | %.2f |%n", v.label(),
            r.firedPerSecond(), r.misfires(), r.duplicates(),
            v.s3() ? String.format("%.2f", r.requestsPerFiring()) : "-", r.spread(), r.waits(),
            r.firedPerSecond() / baseline);
        md.append(row);
        System.out.print(row); // Progress: the whole table is printed at the end.
      }
    }
    md.append('\n');
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /** What one variant measured. */
  record Result(double firedPerSecond, long misfires, long duplicates, double requestsPerFiring, String spread,
      String waits) {}

  private static Result run(boolean s3Lock, BenchStore store, int batch, long maxHold) throws Exception {
    FIRED.clear();
    FIRED_BY_NODE.clear();
    TRIGGER_WAITS.clear();
    MISFIRES.set(0);
    REQUESTS.reset();
    String instanceName = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    String jdbcUrl = "jdbc:h2:mem:" + instanceName + ";DB_CLOSE_DELAY=-1";
    createTables(jdbcUrl);
    String bucket = null;
    if (s3Lock) {
      try (S3Client admin = store.newClient()) {
        bucket = store.newBucket(admin);
      }
    }
    List<Scheduler> nodes = new ArrayList<>();
    for (String id : List.of("node-a", "node-b")) {
      nodes.add(node(instanceName, id, jdbcUrl, bucket, batch, maxHold));
    }
    Date start = new Date(System.currentTimeMillis() + 2000);
    for (int i = 0; i < TRIGGERS; i++) {
      Trigger trigger = TriggerBuilder.newTrigger().withIdentity("t-" + i).startAt(start)
          .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(INTERVAL_MILLIS)
              .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
          .build();
      nodes.get(0).scheduleJob(JobBuilder.newJob(Recorded.class).withIdentity("j-" + i).build(), trigger);
    }
    for (Scheduler node : nodes) {
      node.getListenerManager().addTriggerListener(new TriggerListenerSupport() {
        @Override
        public String getName() {
          return "misfires";
        }

        @Override
        public void triggerMisfired(Trigger trigger) {
          MISFIRES.incrementAndGet();
        }
      });
      node.start();
    }
    try {
      // A benchmark measures wall time: waiting is the point here.
      Thread.sleep(Math.max(0, start.getTime() - System.currentTimeMillis()) + 1000);
      int firedBefore = fired();
      Map<String, Integer> byNodeBefore = firedByNode();
      REQUESTS.reset();
      measuring = true;
      Thread.sleep(RUN.toMillis());
      measuring = false;
      int fired = fired() - firedBefore;
      int requests = REQUESTS.total();
      Map<String, Integer> byNode = firedByNode();
      for (Scheduler node : nodes) {
        node.standby();
      }
      int duplicates = FIRED.values().stream().mapToInt(c -> c.get() - 1).sum();
      String spread = List.of("node-a", "node-b").stream()
          .map(n -> String.format("%.0f%%", fired == 0 ? 0 : 100.0 * (byNode.getOrDefault(n, 0)
              - byNodeBefore.getOrDefault(n, 0)) / fired))
          .collect(java.util.stream.Collectors.joining(" / "));
      long[] waits = TRIGGER_WAITS.stream().mapToLong(Long::longValue).sorted().toArray();
      String waitText = waits.length == 0 ? "-" : String.format("%.0f / %.0f",
          waits[(int) Math.min(waits.length - 1, Math.ceil(waits.length * 0.99) - 1)] / 1000.0,
          waits[waits.length - 1] / 1000.0);
      return new Result(fired / (double) RUN.toSeconds(), MISFIRES.get(), duplicates,
          fired == 0 ? 0 : requests / (double) fired, spread, waitText);
    } finally {
      for (Scheduler node : nodes) {
        node.shutdown(true);
      }
    }
  }

  private static int fired() {
    return FIRED.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private static Map<String, Integer> firedByNode() {
    Map<String, Integer> copy = new java.util.HashMap<>();
    FIRED_BY_NODE.forEach((node, count) -> copy.put(node, count.get()));
    return copy;
  }

  private static Scheduler node(String instanceName, String id, String jdbcUrl, String bucket, int batch,
      long maxHold) throws Exception {
    String dataSource = instanceName + "-" + id;
    JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl, "sa", "");
    DBConnectionManager.getInstance().addConnectionProvider(dataSource, new ConnectionProvider() {
      @Override
      public Connection getConnection() throws SQLException {
        return pool.getConnection();
      }

      @Override
      public void shutdown() {
        pool.dispose();
      }

      @Override
      public void initialize() {}
    });
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", instanceName);
    p.setProperty("org.quartz.scheduler.instanceId", id);
    p.setProperty("org.quartz.threadPool.threadCount", "4");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
    p.setProperty("org.quartz.jobStore.dataSource", dataSource);
    p.setProperty("org.quartz.jobStore.isClustered", "true");
    p.setProperty("org.quartz.jobStore.clusterCheckinInterval", "1000");
    p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "1000");
    // Batching takes up to this many due triggers per TRIGGER_ACCESS section instead of one.
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", String.valueOf(batch));
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionFireAheadTimeWindow", batch > 1 ? "100" : "0");
    if (bucket == null) {
      p.setProperty("org.quartz.jobStore.lockHandler.class", TimedRowLock.class.getName());
    } else {
      p.setProperty("org.quartz.jobStore.lockHandler.class", TimedS3Semaphore.class.getName());
      p.setProperty("org.quartz.jobStore.lockHandler.bucket", bucket);
      p.setProperty("org.quartz.jobStore.lockHandler.s3ClientSupplier", Clients.class.getName());
      p.setProperty("org.quartz.jobStore.lockHandler.lockedBy", id);
      if (maxHold >= 0) {
        p.setProperty("org.quartz.jobStore.lockHandler.affinityMaxHoldMillis", String.valueOf(maxHold));
      }
      // As docs/quartz.md advises: kept leases go back to S3 when the scheduler shuts down.
      p.setProperty("org.quartz.plugin.s3Semaphore.class", S3SemaphoreShutdownPlugin.class.getName());
    }
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    SchedulerRepository.getInstance().remove(instanceName);
    return scheduler;
  }

  private static void createTables(String jdbcUrl) throws Exception {
    String ddl;
    try (InputStream in = StdSchedulerFactory.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_h2.sql")) {
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl, "sa", "");
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      for (String statement : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
    } finally {
      pool.dispose();
    }
  }
}
