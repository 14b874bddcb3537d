package io.github.s3lock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.core.ConformanceReport;
import io.github.s3lock.core.LockObject;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.TestRecords;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What needs no store: help, usage errors, the probe verdict of hand-made reports, relative times. */
class S3LockCliTest {

  @Test
  void helpNamesEveryCommandWithAnExample() {
    AbstractS3LockCliTest.Run run = AbstractS3LockCliTest.execute(List.of(), "--help");

    assertThat(run.exitCode()).isEqualTo(0);
    assertThat(run.out()).contains("probe", "list", "show", "release", "Examples:", "Exit codes:",
        "s3-lock probe --bucket my-bucket", "64  bad command line");
  }

  @Test
  void commandHelpShowsTheSharedOptionsAndAnExample() {
    AbstractS3LockCliTest.Run run = AbstractS3LockCliTest.execute(List.of(), "release", "--help");

    assertThat(run.exitCode()).isEqualTo(0);
    assertThat(run.out()).contains("--bucket=BUCKET", "--prefix=PREFIX", "--endpoint=URL", "--path-style",
        "--force", "Example", "Default: list, show and release look", "(locks/)", "(shedlock/)",
        "(quartz-locks/<scheduler>/<tablePrefix>/)", "probe uses locks/.");
  }

  @Test
  void aMissingBucketOptionIsAUsageErrorNotANotSafeVerdict() {
    AbstractS3LockCliTest.Run run = AbstractS3LockCliTest.execute(List.of(), "probe");

    assertThat(run.exitCode()).isEqualTo(64);
    assertThat(run.err()).contains("Missing required option: '--bucket=BUCKET'");
  }

  @Test
  void verdictOfARadosgwLikeStoreIsSafeWithUnquotedEtags() {
    ConformanceReport report = new ConformanceReport("b", "locks/", true, true, false, true, 412,
        Optional.of(Duration.ofMillis(-300)));

    assertThat(String.join("\n", ProbeCommand.render(report)))
        .containsPattern("quoted ETag \\(\"abc\"\\) +refused")
        .containsPattern("unquoted ETag \\(abc\\) +accepted")
        .contains("412 (as Ceph radosgw)", "-0.3 s")
        .contains("SAFE for locking (If-Match sends the ETag unquoted)");
  }

  @Test
  void verdictOfAStoreThatIgnoresIfMatchListsTheProblems() {
    ConformanceReport report = new ConformanceReport("b", "locks/", true, false, true, true, 200, Optional.empty());

    List<String> lines = ProbeCommand.render(report);

    assertThat(String.join("\n", lines))
        .containsPattern("If-Match on PUT \\(take over\\) +IGNORED")
        .contains("200: the store ignored the condition", "unknown (the store sent no Date header)");
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("NOT SAFE: the store ignores If-Match on PUT")
        .contains("If-Match on a missing key answered 200"));
  }

  @Test
  void relativeTimesUseTheTwoLargestUnits() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    assertThat(LockText.relative(now.plusSeconds(192), now)).isEqualTo("in 3m 12s");
    assertThat(LockText.relative(now.minusSeconds(5), now)).isEqualTo("expired 5s ago");
    assertThat(LockText.relative(now, now)).isEqualTo("expired 0ms ago");
    assertThat(LockText.relative(now.plus(Duration.ofHours(26).plusMinutes(5)), now)).isEqualTo("in 1d 2h");
    assertThat(LockText.relative(now.plus(Duration.ofMinutes(65)), now)).isEqualTo("in 1h 5m");
  }

  @Test
  void aStoreThatSendsNoLastModifiedShowsUnknownRatherThanFailing() {
    Instant now = Instant.parse("2026-11-26T12:00:00Z");
    LockRecord record = TestRecords.record("report.daily", now.plusSeconds(60), now, "node-1", 7);

    List<String> list = ListCommand.render(new java.util.ArrayList<>(List.of(new LockObject(record, null))), now,
        "s3://demo/locks/");
    List<String> show = ShowCommand.render(new LockObject(record, null), now, "s3://demo/locks/report.daily");

    assertThat(list.get(1)).matches("^report\\.daily +held +node-1 +\\S+Z +in 1m 0s +7 +unknown$");
    assertThat(show).contains("  last modified unknown (the last acquire, extend or release)");
  }
}
