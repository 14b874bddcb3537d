package io.github.s3lock.cli;

import io.github.s3lock.core.LockObject;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockAdmin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.s3.S3Client;

@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {"Show one lock: who holds it, until when, its fencing token, and every field of its record.",
        "Without --prefix, looks under the default prefixes of the core (locks/), the ShedLock provider"
            + " (shedlock/) and the Quartz semaphore (quartz-locks/<scheduler>/<tablePrefix>/), and shows each"
            + " lock of that name."},
    footerHeading = "%nExample:%n",
    footer = {"  s3-lock show --bucket my-bucket report.daily",
        "Exit code 4 when there is no such lock."})
final class ShowCommand extends StoreCommand {

  @Parameters(paramLabel = "NAME", description = "The lock name, as your application names it.")
  String name;

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      List<LockLocations.Found> found;
      if (store.prefixGiven()) {
        S3LockAdmin admin = store.admin(s3);
        found = admin.show(name).map(lock -> List.of(new LockLocations.Found(store.prefix, admin, lock)))
            .orElse(List.of());
        if (found.isEmpty()) {
          err().println("No lock named '" + name + "' at s3://" + store.bucket + "/" + admin.keyFor(name) + ".");
        }
      } else {
        found = LockLocations.find(store, s3, name);
        if (found.isEmpty()) {
          err().println("No lock named '" + name + "' in " + store.bucketWhere() + " under the default prefixes "
              + LockLocations.DESCRIPTION + ". If your application sets another key prefix, pass it with --prefix.");
        }
      }
      if (found.isEmpty()) {
        err().flush();
        return S3LockCli.NO_SUCH_LOCK;
      }
      if (found.size() > 1) {
        out().println("'" + name + "' exists under " + found.size() + " prefixes:");
        out().println();
      }
      for (int i = 0; i < found.size(); i++) {
        LockLocations.Found f = found.get(i);
        if (i > 0) {
          out().println();
        }
        String at = "s3://" + store.bucket + "/" + f.admin().keyFor(name);
        render(f.lock(), f.admin().now(), at).forEach(out()::println);
      }
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
