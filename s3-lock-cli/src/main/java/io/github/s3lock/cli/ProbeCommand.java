package io.github.s3lock.cli;

import io.github.s3lock.core.ConformanceReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import software.amazon.awssdk.services.s3.S3Client;

@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description = {
        "Check that the store honours conditional writes, which s3-lock relies on. Run it first on any"
            + " S3-compatible store (MinIO, R2, Ceph, ...).",
        "Writes a few throwaway objects under PREFIX.s3-lock-probe/ and deletes them (6 PUTs, 1-2 DELETEs)."},
    footerHeading = "%nExample:%n",
    footer = {"  s3-lock probe --bucket my-bucket --endpoint http://127.0.0.1:7480 --path-style",
        "Exit code 0 when the store is SAFE for locking, 2 when it is NOT SAFE,",
        "1 on an error."})
final class ProbeCommand extends StoreCommand {

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      ConformanceReport report = store.admin(s3).probe();
      out().println("Conformance probe of " + store.where());
      out().println();
      render(report).forEach(out()::println);
      out().flush();
      return report.safeForLocking() ? S3LockCli.OK : S3LockCli.NOT_SAFE;
    }
  }

  /** The verdict table and the verdict line. */
  static List<String> render(ConformanceReport report) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"CHECK", "RESULT"});
    rows.add(new String[] {"If-None-Match: * on PUT (create)", report.ifNoneMatchHonoured()
        ? "honoured" : "IGNORED: two nodes could both create the same lock"});
    rows.add(new String[] {"If-Match on PUT (take over)", report.ifMatchHonoured()
        ? "honoured" : "IGNORED: a node could take over a lock it did not read"});
    rows.add(new String[] {"  with the quoted ETag (\"abc\")", report.quotedEtagAccepted() ? "accepted" : "refused"});
    rows.add(new String[] {"  with the unquoted ETag (abc)", report.unquotedEtagAccepted() ? "accepted" : "refused"});
    rows.add(new String[] {"If-Match on a missing key", missingKey(report.ifMatchOnMissingKeyStatus())});
    rows.add(new String[] {"conditional DELETE", "not checked (s3-lock never deletes lock objects)"});
    rows.add(new String[] {"Date skew vs local clock", skew(report.clockSkew())});
    List<String> lines = new ArrayList<>(LockText.columns(rows));
    lines.add("");
    if (report.safeForLocking()) {
      lines.add("SAFE for locking" + report.dialect()
          .map(d -> " (If-Match sends the ETag " + (d.quotedIfMatch() ? "quoted" : "unquoted") + ")")
          .orElse(""));
    } else {
      lines.add("NOT SAFE: " + String.join("; ", report.problems()));
      lines.add("Do not use this store for locks. Stores known to be safe: AWS S3, Ceph radosgw 16+.");
    }
    return lines;
  }

  private static String missingKey(int status) {
    return switch (status) {
      case 404 -> "404 (as AWS S3)";
      case 412 -> "412 (as Ceph radosgw)";
      case 200 -> "200: the store ignored the condition and created the object";
      default -> status + " (expected 404 or 412)";
    };
  }

  /**
   * The store's Date minus the local clock. It does not affect safety in the default client-time mode (there
   * the nodes' clocks must agree with each other), but a large value usually means this host's clock is off.
   */
  private static String skew(Optional<Duration> skew) {
    if (skew.isEmpty()) {
      return "unknown (the store sent no Date header)";
    }
    Duration d = skew.get();
    String value = (d.isNegative() ? "-" : "+") + String.format("%.1f s", Math.abs(d.toMillis()) / 1000.0);
    String note = d.abs().compareTo(Duration.ofSeconds(5)) > 0 ? "; check NTP on this host and the nodes" : "";
    return value + " (store minus local, +/-1 s" + note + ")";
  }
}
