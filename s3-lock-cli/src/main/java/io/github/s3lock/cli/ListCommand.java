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
        "List every lock under the prefix: who holds it, until when, its fencing token, and when it last changed.",
        "Needs s3:ListBucket on the bucket (taking locks does not)."},
    footerHeading = "%nExample:%n",
    footer = "  s3-lock list --bucket my-bucket --prefix locks/")
final class ListCommand extends StoreCommand {

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      S3LockAdmin admin = store.admin(s3);
      List<LockObject> locks = new ArrayList<>(admin.list());
      Instant now = admin.now();
      render(locks, now, store.where()).forEach(out()::println);
      out().flush();
      return S3LockCli.OK;
    }
  }

  static List<String> render(List<LockObject> locks, Instant now, String where) {
    if (locks.isEmpty()) {
      return List.of("No locks under " + where + ".");
    }
    locks.sort(Comparator.comparing(o -> o.record().name()));
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "STATE", "LOCKED BY", "LOCK UNTIL (UTC)", "", "TOKEN", "LAST MODIFIED (UTC)"});
    long held = 0;
    for (LockObject o : locks) {
      LockRecord r = o.record();
      boolean isHeld = LockText.held(r, now);
      held += isHeld ? 1 : 0;
      rows.add(new String[] {r.name(), isHeld ? "held" : "free", r.lockedBy(), LockText.absolute(r.lockUntil()),
          LockText.relative(r.lockUntil(), now), Long.toString(r.token()),
          LockText.absoluteOrUnknown(o.lastModified())});
    }
    List<String> lines = new ArrayList<>(LockText.columns(rows));
    lines.add("");
    lines.add(locks.size() + (locks.size() == 1 ? " lock" : " locks") + " under " + where + ", " + held
        + " held, at " + LockText.absolute(now));
    return lines;
  }
}
