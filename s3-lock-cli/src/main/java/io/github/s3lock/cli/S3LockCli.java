package io.github.s3lock.cli;

import io.github.s3lock.core.S3LockException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * The {@code s3-lock} command: probe a bucket, list and show locks, release a lock. Exit codes are documented in
 * {@code docs/cli.md} and in {@code --help}.
 */
@Command(
    name = "s3-lock",
    mixinStandardHelpOptions = true,
    versionProvider = S3LockCli.Version.class,
    subcommands = {ProbeCommand.class, ListCommand.class, ShowCommand.class, ReleaseCommand.class},
    description = {
        "Inspect and operate the locks that s3-lock keeps in an S3 bucket (one object per lock name).",
        "Credentials come from the AWS SDK default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE,"
            + " ~/.aws, SSO, container or instance roles."},
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  # Is this store safe for locking? Run it first on MinIO, R2, Ceph, ...",
        "  s3-lock probe --bucket my-bucket",
        "  s3-lock probe --bucket my-bucket --endpoint http://ceph:7480 --path-style",
        "  # Who holds what, until when? (ShedLock's, Quartz's and the core's locks at their default prefixes)",
        "  s3-lock list --bucket my-bucket",
        "  s3-lock list --bucket my-bucket --prefix shedlock/my-service/",
        "  s3-lock show --bucket my-bucket report.daily",
        "  # Free a lock whose holder is gone (refused while it is held, unless --force)",
        "  s3-lock release --bucket my-bucket report.daily",
        "",
        "Exit codes:",
        "  0   done (probe: SAFE for locking)",
        "  1   error: bucket missing, access denied, endpoint unreachable, ...",
        "  2   probe: the store is NOT SAFE for locking",
        "  3   release: not released (held, or changed meanwhile)",
        "  4   show/release: no such lock",
        "  64  bad command line",
        "",
        "Run 's3-lock COMMAND --help' for a command's options."})
public final class S3LockCli implements Runnable {

  static final int OK = 0;
  static final int ERROR = 1;
  static final int NOT_SAFE = 2;
  static final int NOT_RELEASED = 3;
  static final int NO_SUCH_LOCK = 4;
  /** BSD's EX_USAGE; picocli's default (2) would be mistaken for "not safe". */
  static final int USAGE = 64;

  private final List<ExecutionInterceptor> interceptors;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The command as {@link #main} runs it, with no extra interceptors on its S3 clients. */
  public S3LockCli() {
    this(List.of());
  }

  /** For tests: every S3 client the commands build gets these interceptors (e.g. a fault injector). */
  S3LockCli(List<ExecutionInterceptor> interceptors) {
    this.interceptors = List.copyOf(interceptors);
  }

  List<ExecutionInterceptor> interceptors() {
    return interceptors;
  }

  @Override
  public void run() {
    // No command given: show what there is.
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * Runs one command and exits the JVM with its exit code (listed under {@code --help}; 0 when done).
   *
   * @param args the command and its options, e.g. {@code list --bucket my-bucket}
   */
  public static void main(String[] args) {
    System.exit(commandLine(new S3LockCli()).execute(args));
  }

  /** The configured picocli command line: exit codes, and one-line errors for S3 failures. */
  static CommandLine commandLine(S3LockCli cli) {
    CommandLine cmd = new CommandLine(cli);
    cmd.setExecutionExceptionHandler(S3LockCli::handle);
    setUsageExitCode(cmd);
    return cmd;
  }

  private static void setUsageExitCode(CommandLine cmd) {
    cmd.getCommandSpec().exitCodeOnInvalidInput(USAGE);
    cmd.getSubcommands().values().forEach(S3LockCli::setUsageExitCode);
  }

  /**
   * An S3 failure becomes one line on stderr with the core's message (it names the bucket, the key and the fix,
   * never credentials); the stack trace only with {@code --verbose}.
   */
  private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    String message = e instanceof S3LockException || e instanceof CommandFailure
        ? e.getMessage()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
    err.println("error: " + message);
    if (verbose(cmd)) {
      e.printStackTrace(err);
    } else {
      err.println("(run again with --verbose for details)");
    }
    err.flush();
    return ERROR;
  }

  private static boolean verbose(CommandLine cmd) {
    Object command = cmd.getCommand();
    return command instanceof StoreCommand c && c.store.verbose;
  }

  /** The version from the runnable jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = S3LockCli.class.getPackage().getImplementationVersion();
      return new String[] {"s3-lock " + (version == null ? "(development build)" : version)};
    }
  }
}
