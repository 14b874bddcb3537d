package io.github.s3lock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.core.Lease;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockClient;
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

  private Run run(String command, String... args) {
    return run(List.of(), command, args);
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
