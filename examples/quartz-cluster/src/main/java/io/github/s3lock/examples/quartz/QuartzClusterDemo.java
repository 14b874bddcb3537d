package io.github.s3lock.examples.quartz;

import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.TestStore;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.SchedulerRepository;
import org.quartz.impl.StdSchedulerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two clustered Quartz nodes in one JVM on one H2 database file under target/, with the cluster lock in the
 * embedded S3 server, configured from {@code quartz.properties}. Ten triggers are each due every second, ten times
 * (100 firings over 10 s). The demo runs until all have fired (at most a minute longer), then shuts the nodes down
 * and prints each node's firings, how late the cluster got and why, the duplicates (must be 0) and the S3 requests
 * per fired trigger. Exits 1 on a duplicate.
 */
public final class QuartzClusterDemo {

  private static final int TRIGGERS = 10;
  private static final int FIRINGS_PER_TRIGGER = 10;
  private static final int DUE = TRIGGERS * FIRINGS_PER_TRIGGER;
  /** How long after the last firing was due the demo waits for the cluster to catch up. */
  private static final long GRACE_MILLIS = 60_000;

  static final Map<String, AtomicLong> FIRINGS_BY_NODE = new ConcurrentHashMap<>();
  static final Set<String> FIRED = ConcurrentHashMap.newKeySet();
  static final AtomicLong DUPLICATES = new AtomicLong();
  static final AtomicLong LATEST_FIRING = new AtomicLong();
  static final AtomicLong MOST_LATE_MILLIS = new AtomicLong();

  /** Records which node ran which (trigger, scheduled fire time), and how late. */
  public static class RecordingJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      String node;
      try {
        node = context.getScheduler().getSchedulerInstanceId();
      } catch (SchedulerException e) {
        throw new IllegalStateException(e);
      }
      FIRINGS_BY_NODE.computeIfAbsent(node, n -> new AtomicLong()).incrementAndGet();
      if (!FIRED.add(context.getTrigger().getKey() + "@" + context.getScheduledFireTime().getTime())) {
        DUPLICATES.incrementAndGet();
      }
      LATEST_FIRING.accumulateAndGet(context.getFireTime().getTime(), Math::max);
      MOST_LATE_MILLIS.accumulateAndGet(context.getFireTime().getTime() - context.getScheduledFireTime().getTime(),
          Math::max);
    }
  }

  public static void main(String[] args) throws Exception {
    System.exit(run(System.out));
  }

  /**
   * The demo, printing to {@code out}.
   *
   * @return the exit code: 0, or 1 when a firing ran twice or none ran
   */
  static int run(PrintStream out) throws Exception {
    // Local demo credentials for the embedded S3, through the SDK default chain as in production.
    System.setProperty("aws.accessKeyId", "demo");
    System.setProperty("aws.secretAccessKey", "demo");
    out.println("Starting the embedded S3 server...");
    EmbeddedS3 s3Server = EmbeddedS3.shared();
    Properties template = new Properties();
    try (InputStream in = QuartzClusterDemo.class.getResourceAsStream("/quartz.properties")) {
      template.load(in);
    }
    String bucket = template.getProperty("org.quartz.jobStore.lockHandler.bucket");
    try (S3Client s3 = TestStore.embedded().newClient()) {
      s3.createBucket(b -> b.bucket(bucket));
    }
    String jdbcUrl = template.getProperty("org.quartz.dataSource.quartzDS.URL");
    createTables(jdbcUrl);

    List<Scheduler> nodes = new ArrayList<>();
    for (String id : List.of("node-a", "node-b")) {
      nodes.add(node(template, id, s3Server));
    }
    Date firstDue = scheduleTriggers(nodes.get(0));
    RequestCount.REQUESTS.set(0);
    for (Scheduler node : nodes) {
      node.start();
    }
    out.printf("Two nodes, %d triggers each due every second, %d times (%d firings over %d s)...%n", TRIGGERS,
        FIRINGS_PER_TRIGGER, DUE, FIRINGS_PER_TRIGGER);
    long lastDue = firstDue.getTime() + (FIRINGS_PER_TRIGGER - 1) * 1000L;
    await(() -> FIRED.size() >= DUE, lastDue + GRACE_MILLIS);
    // A scheduler thread still waiting for the S3 lock finishes first (S3SemaphoreShutdownPlugin): no ERROR.
    for (Scheduler node : nodes) {
      node.standby();
    }
    for (Scheduler node : nodes) {
      node.shutdown(true);
    }

    long total = FIRINGS_BY_NODE.values().stream().mapToLong(AtomicLong::get).sum();
    double seconds = Math.max(1, LATEST_FIRING.get() - firstDue.getTime()) / 1000.0;
    out.println();
    FIRINGS_BY_NODE.forEach((node, n) -> out.printf("  %-8s fired %d%n", node, n.get()));
    out.printf("  total    fired %d of %d, duplicates %d (must be 0)%n", total, DUE, DUPLICATES.get());
    out.printf("  %d firings were due over %d s; the cluster made them in %.1f s (%.1f per second), the latest"
        + " %.1f s after it was due%n", DUE, FIRINGS_PER_TRIGGER, seconds, total / seconds,
        MOST_LATE_MILLIS.get() / 1000.0);
    out.printf("  S3 requests: %d, %.1f per fired trigger%n", RequestCount.REQUESTS.get(),
        total == 0 ? 0.0 : (double) RequestCount.REQUESTS.get() / total);
    out.println();
    for (String line : List.of(
        "Why late: every firing takes Quartz's cluster lock about 3 times (to acquire, fire and complete it),",
        "each time a lock and an unlock in S3, and the nodes take that lock one at a time. That caps how fast a",
        "cluster fires: here at the rate above, on an embedded S3 that serves one request at a time; about 14",
        "per second at 10 ms per request and 2 at S3 Standard's latency (docs/benchmarks.md). S3Semaphore suits",
        "clusters that fire up to a few triggers per second. A late firing is made late, never twice (the",
        "triggers' misfire policy skips one only when it is over a minute late). Which node fires is up to",
        "Quartz: the node that has just released the lock often takes it again first. The S3 requests include",
        "the lease renewals and the GETs of the node that waits.")) {
      out.println("  " + line);
    }
    return DUPLICATES.get() == 0 && total > 0 ? 0 : 1;
  }

  /** Polls {@code condition} until it holds or {@code deadline} (epoch millis) has passed. */
  private static void await(BooleanSupplier condition, long deadline) throws InterruptedException {
    while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private static Scheduler node(Properties template, String id, EmbeddedS3 s3Server) throws SchedulerException {
    Properties p = new Properties();
    p.putAll(template);
    p.setProperty("org.quartz.scheduler.instanceId", id);
    p.setProperty("org.quartz.jobStore.lockHandler.endpoint", s3Server.endpoint().toString());
    p.setProperty("org.quartz.jobStore.lockHandler.lockedBy", id);
    // Quartz keeps connection providers in one registry per JVM: two nodes in one JVM need two names.
    String dataSource = "quartzDS-" + id;
    p.setProperty("org.quartz.jobStore.dataSource", dataSource);
    for (String key : template.stringPropertyNames()) {
      if (key.startsWith("org.quartz.dataSource.quartzDS.")) {
        p.remove(key);
        p.setProperty(key.replace(".quartzDS.", "." + dataSource + "."), template.getProperty(key));
      }
    }
    Scheduler scheduler = new StdSchedulerFactory(p).getScheduler();
    // The repository is keyed by instanceName: remove it so the second node is a new scheduler.
    SchedulerRepository.getInstance().remove(scheduler.getSchedulerName());
    return scheduler;
  }

  /** @return when the triggers are first due */
  private static Date scheduleTriggers(Scheduler scheduler) throws SchedulerException {
    scheduler.clear();
    // Far enough ahead that both nodes have started: no firing is late because a node was still starting.
    Date start = new Date(System.currentTimeMillis() + 3000);
    for (int i = 0; i < TRIGGERS; i++) {
      scheduler.scheduleJob(JobBuilder.newJob(RecordingJob.class).withIdentity("job-" + i).build(),
          TriggerBuilder.newTrigger().withIdentity("trigger-" + i).startAt(start)
              .withSchedule(SimpleScheduleBuilder.repeatSecondlyForTotalCount(FIRINGS_PER_TRIGGER)
                  .withMisfireHandlingInstructionNextWithRemainingCount())
              .build());
    }
    return start;
  }

  /** A fresh database with Quartz's own DDL for H2. */
  private static void createTables(String jdbcUrl) throws Exception {
    Path dir = Path.of("target", "quartz-demo");
    if (Files.exists(dir)) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    String ddl;
    try (InputStream in = StdSchedulerFactory.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_h2.sql")) {
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection c = DriverManager.getConnection(jdbcUrl, "sa", ""); Statement s = c.createStatement()) {
      for (String statement : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
    }
  }
}
