package io.github.s3lock.examples.quartz;

import io.github.s3lock.testing.EmbeddedS3;
import io.github.s3lock.testing.TestStore;
import java.io.InputStream;
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
 * embedded S3 server, configured from {@code quartz.properties}. Ten triggers fire every second for 10 s; every
 * execution is recorded, and the demo prints each node's firings, the duplicates (must be 0) and the S3
 * requests per fired trigger. Exits 1 on a duplicate.
 */
public final class QuartzClusterDemo {

  private static final int TRIGGERS = 10;
  private static final long RUN_MILLIS = 10_000;

  static final Map<String, AtomicLong> FIRINGS_BY_NODE = new ConcurrentHashMap<>();
  static final Set<String> FIRED = ConcurrentHashMap.newKeySet();
  static final AtomicLong DUPLICATES = new AtomicLong();

  /** Records which node ran which (trigger, scheduled fire time). */
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
    }
  }

  public static void main(String[] args) throws Exception {
    // Local demo credentials for the embedded S3, through the SDK default chain as in production.
    System.setProperty("aws.accessKeyId", "demo");
    System.setProperty("aws.secretAccessKey", "demo");
    System.out.println("Starting the embedded S3 server...");
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
    scheduleTriggers(nodes.get(0));
    RequestCount.REQUESTS.set(0);
    for (Scheduler node : nodes) {
      node.start();
    }
    System.out.printf("Two nodes running %d triggers every second for %d s...%n", TRIGGERS, RUN_MILLIS / 1000);
    TimeUnit.MILLISECONDS.sleep(RUN_MILLIS); // The demo's run time, not a wait for a condition.
    for (Scheduler node : nodes) {
      node.standby();
    }
    for (Scheduler node : nodes) {
      node.shutdown(true);
    }

    long total = FIRINGS_BY_NODE.values().stream().mapToLong(AtomicLong::get).sum();
    System.out.println();
    FIRINGS_BY_NODE.forEach((node, n) -> System.out.printf("  %-8s fired %d%n", node, n.get()));
    System.out.printf("  total    fired %d, duplicates %d (must be 0)%n", total, DUPLICATES.get());
    System.out.printf("  S3 requests: %d, %.1f per fired trigger%n", RequestCount.REQUESTS.get(),
        total == 0 ? 0.0 : (double) RequestCount.REQUESTS.get() / total);
    System.exit(DUPLICATES.get() == 0 && total > 0 ? 0 : 1);
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

  private static void scheduleTriggers(Scheduler scheduler) throws SchedulerException {
    scheduler.clear();
    Date start = new Date(System.currentTimeMillis() + 1000);
    for (int i = 0; i < TRIGGERS; i++) {
      scheduler.scheduleJob(JobBuilder.newJob(RecordingJob.class).withIdentity("job-" + i).build(),
          TriggerBuilder.newTrigger().withIdentity("trigger-" + i).startAt(start)
              .withSchedule(SimpleScheduleBuilder.repeatSecondlyForever()
                  .withMisfireHandlingInstructionNextWithRemainingCount())
              .build());
    }
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
