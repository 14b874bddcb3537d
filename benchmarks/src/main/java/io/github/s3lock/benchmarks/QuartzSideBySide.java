package io.github.s3lock.benchmarks;

import io.github.s3lock.quartz.S3Semaphore;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcConnectionPool;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
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
  private static final AtomicInteger MISFIRES = new AtomicInteger();

  /** The job of every trigger: records the trigger and its scheduled fire time. */
  public static final class Recorded implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      FIRED.computeIfAbsent(context.getTrigger().getKey().getName() + "@" + context.getScheduledFireTime().getTime(),
          k -> new AtomicInteger()).incrementAndGet();
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
        .append("fire-ahead window; the ratio column compares with the nearest row lock row above.\n\n")
        .append("| lock | fired/s | misfires | duplicates | S3 requests per fired trigger | fired/s vs row lock |\n")
        .append("|---|---:|---:|---:|---:|---:|\n");
    try (EmbeddedS3 server = EmbeddedS3.start()) {
      BenchStore embedded = BenchStore.of(server.store());
      BenchStore memory = BenchStore.inMemory();
      double baseline = 0;
      record Variant(String label, BenchStore store, long latency, int batch) {
        boolean s3() {
          return store != null;
        }
      }
      for (Variant v : List.of(new Variant("Quartz `StdRowLockSemaphore` (H2 row lock)", null, 0, 1),
          new Variant("`S3Semaphore`, embedded S3", embedded, 0, 1),
          new Variant("`S3Semaphore`, +10 ms per request (about S3 Express)", memory, 10, 1),
          new Variant("`S3Semaphore`, +60 ms per request (about S3 Standard)", memory, 60, 1),
          new Variant("Quartz `StdRowLockSemaphore`, batch of 4", null, 0, 4),
          new Variant("`S3Semaphore`, +60 ms per request, batch of 4", memory, 60, 4),
          new Variant("`S3Semaphore`, +60 ms per request, batch of 16", memory, 60, 16))) {
        addedLatencyMillis = v.latency();
        Clients.store = v.store();
        double[] r = run(v.s3(), v.store(), v.batch());
        if (!v.s3()) {
          baseline = r[0];
        }
        md.append(String.format("| %s | %.1f | %d | %d | %s | %.2f |%n", v.label(), r[0], (long) r[1], (long) r[2],
            v.s3() ? String.format("%.1f", r[3]) : "-", r[0] / baseline));
      }
    }
    md.append('\n');
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  /** @return fired/s, misfires, duplicates, S3 requests per fired trigger */
  private static double[] run(boolean s3Lock, BenchStore store, int batch) throws Exception {
    FIRED.clear();
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
      nodes.add(node(instanceName, id, jdbcUrl, bucket, batch));
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
      REQUESTS.reset();
      Thread.sleep(RUN.toMillis());
      int fired = fired() - firedBefore;
      int requests = REQUESTS.total();
      for (Scheduler node : nodes) {
        node.standby();
      }
      int duplicates = FIRED.values().stream().mapToInt(c -> c.get() - 1).sum();
      return new double[] {fired / (double) RUN.toSeconds(), MISFIRES.get(), duplicates,
          fired == 0 ? 0 : requests / (double) fired};
    } finally {
      for (Scheduler node : nodes) {
        node.shutdown(true);
      }
    }
  }

  private static int fired() {
    return FIRED.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  private static Scheduler node(String instanceName, String id, String jdbcUrl, String bucket, int batch)
      throws Exception {
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
      p.setProperty("org.quartz.jobStore.lockHandler.class", StdRowLockSemaphore.class.getName());
    } else {
      p.setProperty("org.quartz.jobStore.lockHandler.class", S3Semaphore.class.getName());
      p.setProperty("org.quartz.jobStore.lockHandler.bucket", bucket);
      p.setProperty("org.quartz.jobStore.lockHandler.s3ClientSupplier", Clients.class.getName());
      p.setProperty("org.quartz.jobStore.lockHandler.lockedBy", id);
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
