package io.github.s3lock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
import io.github.s3lock.quartz.S3Semaphore;
import io.github.s3lock.shedlock.S3LockProvider;
import io.github.s3lock.testing.FaultInjector;
import io.github.s3lock.testing.TestStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import net.javacrumbs.shedlock.core.LockConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The CLI run in-process against a real store, as an operator would run it: output and exit codes. Subclasses
 * name the store and the credentials the CLI finds in the default chain (passed as system properties).
 */
abstract class AbstractS3LockCliTest {

  protected abstract TestStore store();

  protected abstract String accessKeyId();

  protected abstract String secretAccessKey();

  private S3Client s3;
  private String bucket;
  private final String prefix = "cli-" + UUID.randomUUID().toString().substring(0, 8) + "/";
  private S3LockClient node1;

  /** What one run printed and returned. */
  record Run(int exitCode, String out, String err) {}

  @BeforeEach
  void setUp() {
    s3 = store().newClient();
    bucket = store().newBucket(s3);
    node1 = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix(prefix).lockedBy("node-1").build();
    System.setProperty("aws.accessKeyId", accessKeyId());
    System.setProperty("aws.secretAccessKey", secretAccessKey());
  }

  @AfterEach
  void tearDown() {
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
    s3.close();
  }

  @Test
  void probeSaysSafeAndExitsZero() {
    Run run = run("probe");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out())
        .contains("Conformance probe of s3://" + bucket + "/" + prefix)
        .containsPattern("If-None-Match: \\* on PUT \\(create\\) +honoured")
        .containsPattern("If-Match on PUT \\(take over\\) +honoured")
        .contains("conditional DELETE", "not checked (s3-lock never deletes lock objects)")
        .contains("Date skew vs local clock")
        .contains("SAFE for locking")
        .doesNotContain("NOT SAFE");
  }

  @Test
  void probeOfStoreThatIgnoresConditionalWritesSaysNotSafeAndExitsTwo() {
    Run run = run(List.of(new FaultInjector().stripConditions(true)), "probe");

    assertThat(run.exitCode()).as(run.out() + run.err()).isEqualTo(2);
    assertThat(run.out())
        .containsPattern("If-None-Match: \\* on PUT \\(create\\) +IGNORED")
        .contains("NOT SAFE: the store ignores If-None-Match on PUT")
        .contains("Do not use this store for locks");
  }

  @Test
  void listShowsEveryLockWithHolderExpiryTokenAndLastModified() {
    node1.tryAcquire("report.daily", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();
    Lease cleanup = node1.tryAcquire("cleanup", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();
    node1.release(cleanup, Instant.now());

    Run run = run("list");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0))
        .containsPattern("NAME +STATE +LOCKED BY +LOCK UNTIL \\(UTC\\) +TOKEN +LAST MODIFIED \\(UTC\\)$");
    // Sorted by name: cleanup first. The last column is the object's Last-Modified, an ISO instant.
    String instant = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
    assertThat(lines.get(1)).containsPattern("^cleanup +free +node-1 +\\S+Z +expired \\S+ ago +\\d{16} +" + instant + "$");
    assertThat(lines.get(2)).containsPattern("^report\\.daily +held +node-1 +\\S+Z +in 4m \\d+s +\\d{16} +" + instant + "$");
    assertThat(run.out()).contains("2 locks under s3://" + bucket + "/" + prefix).contains(", 1 held, at ");
  }

  @Test
  void listOfAnEmptyPrefixSaysSo() {
    Run run = run("list");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("No locks under s3://" + bucket + "/" + prefix);
  }

  @Test
  void showPrintsTheStateAndEveryRecordField() {
    Lease lease = node1.tryAcquire("report.daily", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();
    LockRecord record = node1.read("report.daily").orElseThrow();

    Run run = run("show", "report.daily");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out())
        .contains("Lock 'report.daily' at s3://" + bucket + "/" + prefix + "report.daily")
        .containsPattern("held by node-1 until \\S+Z \\(in 4m \\d+s\\), token \\d{16}")
        .containsPattern("last modified \\d{4}-\\S+Z \\(the last acquire, extend or release\\)")
        .containsPattern("token +" + record.token())
        .containsPattern("lockUntil +" + record.lockUntil() + " \\(" + record.lockUntil().toEpochMilli() + "\\)")
        .containsPattern("lockedBy +node-1");
  }

  @Test
  void showOfAMissingLockExitsFour() {
    Run run = run("show", "nope");

    assertThat(run.exitCode()).isEqualTo(4);
    assertThat(run.err()).contains("No lock named 'nope' at s3://" + bucket + "/" + prefix + "nope");
  }

  @Test
  void releaseRefusesAHeldLockAndNamesItsHolder() {
    Instant until = Instant.now().plus(Duration.ofMinutes(5));
    node1.tryAcquire("report.daily", until).orElseThrow();

    Run run = run("release", "report.daily");

    assertThat(run.exitCode()).as(run.out()).isEqualTo(3);
    assertThat(run.err())
        .contains("Not released: 'report.daily' is held by node-1 until")
        .contains("add --force if node-1 is gone");
    assertThat(node1.read("report.daily").orElseThrow().lockUntil()).isAfter(Instant.now());
  }

  @Test
  void releaseWithForceFreesAHeldLockForTheNextNode() {
    Lease lease = node1.tryAcquire("report.daily", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();

    Run run = run("release", "report.daily", "--force");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("Released 'report.daily'. It was held by node-1");
    S3LockClient node2 = S3LockClient.builder().s3Client(s3).bucket(bucket).keyPrefix(prefix).lockedBy("node-2")
        .build();
    Lease next = node2.tryAcquire("report.daily", Instant.now().plus(Duration.ofMinutes(1))).orElseThrow();
    assertThat(next.token()).isGreaterThan(lease.token());
    // The old holder's lease is gone: its release does not touch node-2's lock.
    assertThat(node1.release(lease, Instant.now())).isFalse();
  }

  @Test
  void releaseOfAFreeLockWritesNothing() {
    Lease lease = node1.tryAcquire("report.daily", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();
    node1.release(lease, Instant.now());
    String etag = s3.headObject(b -> b.bucket(bucket).key(prefix + "report.daily")).eTag();

    Run run = run("release", "report.daily");

    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("Nothing to do: 'report.daily' is free since");
    assertThat(s3.headObject(b -> b.bucket(bucket).key(prefix + "report.daily")).eTag()).isEqualTo(etag);
  }

  @Test
  void releaseOfAMissingLockExitsFour() {
    Run run = run("release", "nope");

    assertThat(run.exitCode()).isEqualTo(4);
    assertThat(run.err()).contains("No lock named 'nope'");
  }

  @Test
  void missingBucketIsOneLineNamingTheBucketAndExitsOne() {
    String missing = "s3lock-missing-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> args = new ArrayList<>(storeArgs());
    args.set(args.indexOf(bucket), missing);
    args.add(0, "list");

    Run run = execute(List.of(), args.toArray(String[]::new));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).startsWith("error: ").contains("'" + missing + "' does not exist")
        .doesNotContain("\tat ").doesNotContain(secretAccessKey());
  }

  @Test
  void verboseAddsTheStackTrace() {
    List<String> args = new ArrayList<>(storeArgs());
    args.set(args.indexOf(bucket), "s3lock-missing-" + UUID.randomUUID().toString().substring(0, 8));
    args.add(0, "list");
    args.add("--verbose");

    Run run = execute(List.of(), args.toArray(String[]::new));

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("S3LockException").contains("\tat ");
  }

  @Test
  void listWithoutAPrefixFindsTheLocksOfShedLockQuartzAndTheCoreAtTheirDefaultPrefixes() throws Exception {
    adaptersHoldTheirLocks(() -> {
      Run run = runWithoutPrefix("list");

      assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
      List<String> lines = run.out().lines().toList();
      assertThat(lines.get(0)).containsPattern("^PREFIX +NAME +STATE +LOCKED BY +LOCK UNTIL \\(UTC\\) +TOKEN +LAST");
      assertThat(lines.subList(1, 5)).satisfiesExactly(
          l -> assertThat(l).containsPattern("^locks/ +nightly +held +core-node "),
          l -> assertThat(l).containsPattern("^quartz-locks/billing/QRTZ_/ +STATE_ACCESS +free +quartz-node "),
          l -> assertThat(l).containsPattern("^quartz-locks/billing/QRTZ_/ +TRIGGER_ACCESS +held +quartz-node "),
          l -> assertThat(l).containsPattern("^shedlock/ +send-report +held +shedlock-node "));
      assertThat(run.out()).contains("4 locks in s3://" + bucket, ", 3 held, at ",
          "Looked under locks/ (s3-lock core), shedlock/ (ShedLock provider) and"
              + " quartz-locks/<scheduler>/<tablePrefix>/ (Quartz semaphore); pass --prefix for another key prefix.");
    });
  }

  @Test
  void anExplicitPrefixStillNarrowsTheList() throws Exception {
    adaptersHoldTheirLocks(() -> {
      Run run = runWithoutPrefix("list", "--prefix", "shedlock/");

      assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
      List<String> lines = run.out().lines().toList();
      assertThat(lines.get(0)).startsWith("NAME ");
      assertThat(lines.get(1)).containsPattern("^send-report +held +shedlock-node ");
      assertThat(run.out()).contains("1 lock under s3://" + bucket + "/shedlock/").doesNotContain("TRIGGER_ACCESS");
    });
  }

  @Test
  void showWithoutAPrefixFindsTheQuartzAndTheShedLockLocks() throws Exception {
    adaptersHoldTheirLocks(() -> {
      Run quartz = runWithoutPrefix("show", "TRIGGER_ACCESS");
      Run shedlock = runWithoutPrefix("show", "send-report");

      assertThat(quartz.exitCode()).as(quartz.err()).isEqualTo(0);
      assertThat(quartz.out()).startsWith("Lock 'TRIGGER_ACCESS' at s3://" + bucket
          + "/quartz-locks/billing/QRTZ_/TRIGGER_ACCESS\n").containsPattern("held by quartz-node until \\S+Z");
      assertThat(shedlock.exitCode()).as(shedlock.err()).isEqualTo(0);
      assertThat(shedlock.out()).startsWith("Lock 'send-report' at s3://" + bucket + "/shedlock/send-report\n")
          .containsPattern("held by shedlock-node until \\S+Z");
    });
  }

  @Test
  void aNameUnderTwoDefaultPrefixesIsShownTwiceAndReleasedOnlyWithAPrefix() throws Exception {
    adaptersHoldTheirLocks(() -> {
      S3LockClient core = S3LockClient.builder().s3Client(s3).bucket(bucket).lockedBy("core-node").build();
      core.release(core.tryAcquire("send-report", Instant.now().plusSeconds(60)).orElseThrow(), Instant.now());

      Run show = runWithoutPrefix("show", "send-report");
      Run release = runWithoutPrefix("release", "send-report");

      assertThat(show.exitCode()).as(show.err()).isEqualTo(0);
      assertThat(show.out()).startsWith("'send-report' exists under 2 prefixes:")
          .contains("Lock 'send-report' at s3://" + bucket + "/locks/send-report")
          .contains("Lock 'send-report' at s3://" + bucket + "/shedlock/send-report");
      assertThat(release.exitCode()).isEqualTo(1);
      assertThat(release.err()).startsWith("error: 'send-report' exists under 2 prefixes (locks/, shedlock/). Say"
          + " which one to release with --prefix.");
    });
  }

  @Test
  void withoutAPrefixAnEmptyBucketSaysWhereItLooked() {
    Run list = runWithoutPrefix("list");
    Run show = runWithoutPrefix("show", "TRIGGER_ACCESS");

    assertThat(list.exitCode()).as(list.err()).isEqualTo(0);
    assertThat(list.out()).startsWith("No locks in s3://" + bucket).contains("under the default prefixes locks/"
        + " (s3-lock core), shedlock/ (ShedLock provider) and quartz-locks/<scheduler>/<tablePrefix>/ (Quartz"
        + " semaphore).", "If your application sets another key prefix, pass it with --prefix.");
    assertThat(show.exitCode()).isEqualTo(4);
    assertThat(show.err()).startsWith("No lock named 'TRIGGER_ACCESS' in s3://" + bucket);
  }

  /**
   * Runs {@code checks} while the real adapters hold locks at their default prefixes: the ShedLock provider
   * {@code send-report}, a Quartz semaphore of scheduler {@code billing} {@code TRIGGER_ACCESS} (and has released
   * {@code STATE_ACCESS}), the core {@code nightly}.
   */
  private void adaptersHoldTheirLocks(Runnable checks) throws Exception {
    S3LockProvider shedlock = S3LockProvider.builder().s3Client(s3).bucket(bucket).lockedBy("shedlock-node").build();
    assertThat(shedlock.lock(new LockConfiguration(Instant.now(), "send-report", Duration.ofMinutes(5),
        Duration.ZERO))).isPresent();
    S3LockClient core = S3LockClient.builder().s3Client(s3).bucket(bucket).lockedBy("core-node").build();
    core.tryAcquire("nightly", Instant.now().plus(Duration.ofMinutes(5))).orElseThrow();
    S3Semaphore quartz = new S3Semaphore(s3);
    quartz.setBucket(bucket);
    quartz.setLockedBy("quartz-node");
    quartz.setSchedName("billing");
    quartz.setTablePrefix("QRTZ_");
    quartz.setAffinityMaxHoldMillis(0); // hand each lock back to S3 at the end of its section: STATE_ACCESS is free
    assertThat(quartz.obtainLock(null, "STATE_ACCESS")).isTrue();
    quartz.releaseLock("STATE_ACCESS");
    assertThat(quartz.obtainLock(null, "TRIGGER_ACCESS")).isTrue();
    try {
      checks.run();
    } finally {
      quartz.releaseLock("TRIGGER_ACCESS");
    }
  }

  private Run run(String command, String... args) {
    return run(List.of(), command, args);
  }

  private Run runWithoutPrefix(String command, String... args) {
    List<String> all = new ArrayList<>();
    all.add(command);
    all.addAll(storeArgs());
    int at = all.indexOf("--prefix");
    all.remove(at + 1);
    all.remove(at);
    all.addAll(Arrays.asList(args));
    return execute(List.of(), all.toArray(String[]::new));
  }

  private Run run(List<ExecutionInterceptor> interceptors, String command, String... args) {
    List<String> all = new ArrayList<>();
    all.add(command);
    all.addAll(storeArgs());
    all.addAll(Arrays.asList(args));
    return execute(interceptors, all.toArray(String[]::new));
  }

  private List<String> storeArgs() {
    List<String> args = new ArrayList<>(List.of("--bucket", bucket, "--prefix", prefix,
        "--region", store().region().id()));
    store().endpoint().ifPresent(e -> args.addAll(List.of("--endpoint", e.toString())));
    if (store().pathStyle()) {
      args.add("--path-style");
    }
    return args;
  }

  static Run execute(List<ExecutionInterceptor> interceptors, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = S3LockCli.commandLine(new S3LockCli(interceptors));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
