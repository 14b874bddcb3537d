package io.github.s3lock.cli;

import io.github.s3lock.core.LockObject;
import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockAdmin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import picocli.CommandLine.Command;
import software.amazon.awssdk.services.s3.S3Client;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = {
        "List every lock: who holds it, until when, its fencing token, and when it last changed. Without --prefix,"
            + " under the default prefixes of the core (locks/), the ShedLock provider (shedlock/) and the Quartz"
            + " semaphore (quartz-locks/<scheduler>/<tablePrefix>/).",
        "Needs s3:ListBucket on the bucket (taking locks does not)."},
    footerHeading = "%nExamples:%n",
    footer = {"  s3-lock list --bucket my-bucket",
        "  s3-lock list --bucket my-bucket --prefix shedlock/my-service/"})
final class ListCommand extends StoreCommand {

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      if (store.prefixGiven()) {
        S3LockAdmin admin = store.admin(s3);
        List<LockObject> locks = new ArrayList<>(admin.list());
        render(locks, admin.now(), store.where()).forEach(out()::println);
      } else {
        List<LockLocations.Found> found = LockLocations.listAll(store, s3);
        Instant now = store.admin(s3).now();
        renderDefaults(found, now, store.bucketWhere()).forEach(out()::println);
      }
      out().flush();
      return S3LockCli.OK;
    }
  }

  /** The locks under one prefix ({@code --prefix}). */
  static List<String> render(List<LockObject> locks, Instant now, String where) {
    if (locks.isEmpty()) {
      return List.of("No locks under " + where + ".");
    }
    List<LockLocations.Found> found = locks.stream().map(l -> new LockLocations.Found(null, null, l)).toList();
    List<String> lines = table(found, now, false);
    lines.add("");
    lines.add(count(found) + " under " + where + ", " + held(found, now) + " held, at " + LockText.absolute(now));
    return lines;
  }

  /** The locks under the default prefixes, with a PREFIX column: the same name may live under several. */
  static List<String> renderDefaults(List<LockLocations.Found> found, Instant now, String bucketWhere) {
    if (found.isEmpty()) {
      return List.of("No locks in " + bucketWhere + " under the default prefixes " + LockLocations.DESCRIPTION
          + ".", "If your application sets another key prefix, pass it with --prefix.");
    }
    List<String> lines = table(found, now, true);
    lines.add("");
    lines.add(count(found) + " in " + bucketWhere + ", " + held(found, now) + " held, at "
        + LockText.absolute(now) + ".");
    lines.add("Looked under " + LockLocations.DESCRIPTION + "; pass --prefix for another key prefix.");
    return lines;
  }

  private static List<String> table(List<LockLocations.Found> found, Instant now, boolean withPrefix) {
    List<LockLocations.Found> sorted = new ArrayList<>(found);
    sorted.sort(Comparator.comparing((LockLocations.Found f) -> withPrefix ? f.prefix() : "")
        .thenComparing(f -> f.lock().record().name()));
    List<String[]> rows = new ArrayList<>();
    rows.add(row(withPrefix, "PREFIX", "NAME", "STATE", "LOCKED BY", "LOCK UNTIL (UTC)", "", "TOKEN",
        "LAST MODIFIED (UTC)"));
    for (LockLocations.Found f : sorted) {
      LockRecord r = f.lock().record();
      rows.add(row(withPrefix, f.prefix(), r.name(), LockText.held(r, now) ? "held" : "free", r.lockedBy(),
          LockText.absolute(r.lockUntil()), LockText.relative(r.lockUntil(), now), Long.toString(r.token()),
          LockText.absoluteOrUnknown(f.lock().lastModified())));
    }
    return new ArrayList<>(LockText.columns(rows));
  }

  private static String[] row(boolean withPrefix, String prefix, String... columns) {
    if (!withPrefix) {
      return columns;
    }
    String[] row = new String[columns.length + 1];
    row[0] = prefix;
    System.arraycopy(columns, 0, row, 1, columns.length);
    return row;
  }

  private static String count(List<LockLocations.Found> found) {
    return found.size() + (found.size() == 1 ? " lock" : " locks");
  }

  private static long held(List<LockLocations.Found> found, Instant now) {
    return found.stream().filter(f -> LockText.held(f.lock().record(), now)).count();
  }
}
