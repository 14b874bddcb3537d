package io.github.s3lock.cli;

import io.github.s3lock.core.LockObject;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockAdmin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.s3.S3Client;

@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = "Show one lock: who holds it, until when, its fencing token, and every field of its record.",
    footerHeading = "%nExample:%n",
    footer = {"  s3-lock show --bucket my-bucket report.daily",
        "Exit code 4 when there is no such lock."})
final class ShowCommand extends StoreCommand {

  @Parameters(paramLabel = "NAME", description = "The lock name, as your application names it.")
  String name;

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      S3LockAdmin admin = store.admin(s3);
      Optional<LockObject> record = admin.show(name);
      String at = "s3://" + store.bucket + "/" + admin.keyFor(name);
      if (record.isEmpty()) {
        err().println("No lock named '" + name + "' at " + at + ".");
        err().flush();
        return S3LockCli.NO_SUCH_LOCK;
      }
      render(record.get(), admin.now(), at).forEach(out()::println);
      out().flush();
      return S3LockCli.OK;
    }
  }

  static List<String> render(LockObject object, Instant now, String at) {
    LockRecord r = object.record();
    List<String> lines = new ArrayList<>();
    lines.add("Lock '" + r.name() + "' at " + at);
    lines.add("  " + LockText.state(r, now));
    lines.add("  last modified " + LockText.absoluteOrUnknown(object.lastModified())
        + " (the last acquire, extend or release)");
    lines.add("");
    lines.add("Record:");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"  name", r.name()});
    rows.add(new String[] {"  lockUntil", r.lockUntil() + " (" + r.lockUntil().toEpochMilli() + ")"});
    rows.add(new String[] {"  lockedAt", r.lockedAt() + " (" + r.lockedAt().toEpochMilli() + ")"});
    rows.add(new String[] {"  lockedBy", r.lockedBy()});
    rows.add(new String[] {"  token", Long.toString(r.token())});
    lines.addAll(LockText.columns(rows));
    return lines;
  }
}
