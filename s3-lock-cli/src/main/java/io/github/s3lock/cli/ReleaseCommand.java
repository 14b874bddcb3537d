package io.github.s3lock.cli;

import io.github.s3lock.core.LockRecord;
import io.github.s3lock.core.S3LockAdmin;
import io.github.s3lock.core.S3LockAdmin.OperatorRelease;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.s3.S3Client;

@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    description = {
        "Free a lock so that the next node can take it. The write is conditional on the version just read, so a"
            + " lock taken in between is never overwritten.",
        "Without --force, a lock that is still held is left alone and its holder is named.",
        "Without --prefix, finds the lock under the default prefixes (locks/, shedlock/,"
            + " quartz-locks/<scheduler>/<tablePrefix>/); a name found under several needs --prefix."},
    footerHeading = "%nExamples:%n",
    footer = {"  s3-lock release --bucket my-bucket report.daily",
        "  # the holder is gone for sure:",
        "  s3-lock release --bucket my-bucket report.daily --force",
        "Exit code 0 released or already free, 3 not released (held, or changed",
        "meanwhile), 4 no such lock."})
final class ReleaseCommand extends StoreCommand {

  @Parameters(paramLabel = "NAME", description = "The lock name, as your application names it.")
  String name;

  @Option(names = "--force", description = {"Release it even though it is held. Only when the holder is gone:"
      + " if it is still running, another node may start the same job while it runs."})
  boolean force;

  @Override
  public Integer call() {
    try (S3Client s3 = store.s3Client(cli.interceptors())) {
      S3LockAdmin admin;
      if (store.prefixGiven()) {
        admin = store.admin(s3);
      } else {
        List<LockLocations.Found> found = LockLocations.find(store, s3, name);
        if (found.isEmpty()) {
          err().println("No lock named '" + name + "' in " + store.bucketWhere() + " under the default prefixes "
              + LockLocations.DESCRIPTION + ". If your application sets another key prefix, pass it with --prefix.");
          err().flush();
          return S3LockCli.NO_SUCH_LOCK;
        }
        if (found.size() > 1) {
          throw new CommandFailure("'" + name + "' exists under " + found.size() + " prefixes ("
              + String.join(", ", found.stream().map(LockLocations.Found::prefix).toList())
              + "). Say which one to release with --prefix.", null);
        }
        admin = found.get(0).admin();
      }
      OperatorRelease release = admin.forceRelease(name, force);
      Instant now = admin.now();
      LockRecord found = release.found();
      String at = "s3://" + store.bucket + "/" + admin.keyFor(name);
      int code = switch (release.result()) {
        case RELEASED -> {
          out().println("Released '" + name + "'. It was " + LockText.state(found, now) + ".");
          out().println("If that holder is still running, its next extend or release fails and logs a lost lease.");
          yield S3LockCli.OK;
        }
        case ALREADY_FREE -> {
          out().println("Nothing to do: '" + name + "' is " + LockText.state(found, now) + ".");
          yield S3LockCli.OK;
        }
        case HELD -> {
          err().println("Not released: '" + name + "' is " + LockText.state(found, now) + ".");
          err().println("Wait until then, or add --force if " + found.lockedBy() + " is gone.");
          yield S3LockCli.NOT_RELEASED;
        }
        case CHANGED -> {
          err().println("Not released: '" + name + "' changed between our read and our write (someone took or"
              + " released it). Nothing was written; look again with 's3-lock show " + name + "'.");
          yield S3LockCli.NOT_RELEASED;
        }
        case MISSING -> {
          err().println("No lock named '" + name + "' at " + at + ".");
          yield S3LockCli.NO_SUCH_LOCK;
        }
      };
      out().flush();
      err().flush();
      return code;
    }
  }
}
