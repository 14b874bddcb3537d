package io.github.s3lock.testing;

import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A local S3 for trying s3-lock, in one command: starts {@link EmbeddedS3} (Adobe S3Mock, one worker thread, on
 * 127.0.0.1), creates a bucket, and prints the endpoint and the settings to paste into an application, a Quartz
 * configuration and the CLI. Runs until Ctrl-C; the objects are deleted on exit.
 *
 * <pre>
 * mvn -q -pl s3-lock-testing compile exec:java                                  # port 9321, bucket s3lock-local
 * mvn -q -pl s3-lock-testing compile exec:java -Dexec.args="--port 0 --bucket my-locks"
 * </pre>
 *
 * <p>For trying only, not for production: S3Mock's conditional writes are atomic only because it is limited to
 * one worker thread (with its default pool, 2-4 racing writers of one key all win), it keeps nothing after exit,
 * and it accepts any credentials.
 */
public final class LocalS3 implements AutoCloseable {

  /** The port when none is given: fixed, so that the printed settings stay valid from one run to the next. */
  public static final int DEFAULT_PORT = 9321;
  /** The bucket created when none is given. */
  public static final String DEFAULT_BUCKET = "s3lock-local";
  /** S3Mock checks no signature, but the AWS SDK signs every request and needs some credentials to do so. */
  public static final String ACCESS_KEY_ID = "local";
  /** The secret key that goes with {@link #ACCESS_KEY_ID}; S3Mock accepts any. */
  public static final String SECRET_ACCESS_KEY = "local";
  /** The region the printed settings name: the SDK needs one to sign, S3Mock ignores it. */
  public static final String REGION = "us-east-1";

  private final EmbeddedS3 server;
  private final String bucket;

  private LocalS3(EmbeddedS3 server, String bucket) {
    this.server = server;
    this.bucket = bucket;
  }

  /**
   * Starts the server on 127.0.0.1 and creates the bucket.
   *
   * @param port the port; 0 for a free one
   * @param bucket the bucket to create
   * @return the running server
   */
  public static LocalS3 start(int port, String bucket) {
    EmbeddedS3 server = EmbeddedS3.start(port);
    try (S3Client s3 = server.store().newClient()) {
      s3.createBucket(b -> b.bucket(bucket));
    } catch (RuntimeException e) {
      server.stop();
      throw e;
    }
    return new LocalS3(server, bucket);
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public URI endpoint() {
    return server.endpoint();
  }

  /** @return the bucket that was created */
  public String bucket() {
    return bucket;
  }

  /** @return the settings to use, as printed at start */
  public List<String> settings() {
    String endpoint = endpoint().toString();
    List<String> lines = new ArrayList<>();
    lines.add("Local S3 (Adobe S3Mock, serialized to one worker thread) at " + endpoint + ", bucket '" + bucket
        + "' created.");
    lines.add("For trying s3-lock only, NOT for production: its conditional writes are atomic only because it runs");
    lines.add("one worker thread, it keeps nothing after exit, and it accepts any credentials. Ctrl-C stops it.");
    lines.add("");
    lines.add("# Credentials: the AWS SDK signs every request, so it needs some; these dummy ones do.");
    lines.add("export AWS_ACCESS_KEY_ID=" + ACCESS_KEY_ID + " AWS_SECRET_ACCESS_KEY=" + SECRET_ACCESS_KEY
        + " AWS_REGION=" + REGION);
    lines.add("");
    lines.add("# Spring Boot (application.properties), with s3-lock-spring-boot-autoconfigure:");
    lines.add("s3lock.bucket=" + bucket);
    lines.add("s3lock.endpoint=" + endpoint);
    lines.add("s3lock.region=" + REGION);
    lines.add("s3lock.path-style=true");
    lines.add("");
    lines.add("# Quartz (quartz.properties, or under spring.quartz.properties.):");
    lines.add("org.quartz.jobStore.lockHandler.class=io.github.s3lock.quartz.S3Semaphore");
    lines.add("org.quartz.jobStore.lockHandler.bucket=" + bucket);
    lines.add("org.quartz.jobStore.lockHandler.endpoint=" + endpoint);
    lines.add("org.quartz.jobStore.lockHandler.region=" + REGION);
    lines.add("org.quartz.jobStore.lockHandler.pathStyleAccess=true");
    lines.add("");
    lines.add("# CLI (s3-lock-cli), with the credentials above in the environment:");
    lines.add("s3-lock list --bucket " + bucket + " --endpoint " + endpoint + " --region " + REGION
        + " --path-style");
    return lines;
  }

  /** Stops the server and deletes its objects. */
  @Override
  public void close() {
    server.stop();
  }

  /**
   * {@code [--port N] [--bucket NAME]}: starts, prints the settings, and runs until the JVM is stopped.
   *
   * @param args the command line
   * @throws InterruptedException never in practice: the main thread waits for the JVM to stop
   */
  public static void main(String[] args) throws InterruptedException {
    int port = DEFAULT_PORT;
    String bucket = DEFAULT_BUCKET;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      boolean hasValue = i + 1 < args.length;
      if (arg.equals("--port") && hasValue) {
        port = Integer.parseInt(args[++i]);
      } else if (arg.equals("--bucket") && hasValue) {
        bucket = args[++i];
      } else {
        usage(System.err, arg);
        System.exit(64);
        return;
      }
    }
    LocalS3 local;
    try {
      local = start(port, bucket);
    } catch (RuntimeException e) {
      // S3Mock (a Spring Boot application) has logged what failed, e.g. "Port 9321 was already in use".
      System.err.println("The local S3 did not start (" + e.getClass().getSimpleName() + "). If port " + port
          + " is taken, pass another one, e.g. -Dexec.args=\"--port 0\" for any free port.");
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      local.close();
      stopped.countDown();
    }, "local-s3-stop"));
    PrintStream out = System.out;
    local.settings().forEach(out::println);
    out.flush();
    stopped.await();
  }

  private static void usage(PrintStream err, String wrong) {
    err.println("Unknown or incomplete option: " + wrong);
    err.println("Usage: LocalS3 [--port N (default " + DEFAULT_PORT + ", 0 for a free one)] [--bucket NAME (default "
        + DEFAULT_BUCKET + ")]");
  }
}
