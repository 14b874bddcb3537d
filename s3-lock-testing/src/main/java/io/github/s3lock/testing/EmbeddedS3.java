package io.github.s3lock.testing;

import com.adobe.testing.s3mock.S3MockApplication;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * An embedded S3 server that is atomic for conditional writes: Adobe S3Mock with its Tomcat limited to one
 * worker thread, bound to 127.0.0.1, plain HTTP.
 *
 * <p>Why one thread: S3Mock checks {@code If-None-Match}/{@code If-Match} and then writes, without a lock
 * between the two. With Tomcat's default pool, 2-4 racing writers of one key all "win" (18 of 50 rounds measured
 * here); serialized to one worker, 0 of 50. Clients must use {@link #endpoint()} (the primary connector): the
 * secondary {@code http.port} connector ignores the thread limit, so it is moved to loopback and never used.
 *
 * <p>Start it once per JVM with {@link #shared()} (about 6 s), or manage its life with {@link #start()} /
 * {@link #stop()}. Needs {@code com.adobe.testing:s3mock} on the classpath, which s3-lock-testing leaves optional.
 */
public final class EmbeddedS3 implements AutoCloseable {

  private static EmbeddedS3 shared;

  private final Path storeRoot;
  private final S3MockApplication application;

  private EmbeddedS3(Path storeRoot, S3MockApplication application) {
    this.storeRoot = storeRoot;
    this.application = application;
  }

  /**
   * The server shared by everything in this JVM; started on first use, stopped when the JVM exits.
   *
   * @return the running server; do not stop it, as later callers would get it stopped
   * @throws IllegalStateException when S3Mock is not on the classpath (the message names the dependency)
   */
  public static synchronized EmbeddedS3 shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "embedded-s3-stop"));
    }
    return shared;
  }

  /**
   * Starts a new server on a free loopback port.
   *
   * @return the running server, which the caller stops
   * @throws IllegalStateException when S3Mock is not on the classpath (the message names the dependency)
   */
  public static EmbeddedS3 start() {
    return start(0);
  }

  /**
   * Starts a new server on a loopback port.
   *
   * @param port the port of {@link #endpoint()} on 127.0.0.1; 0 for a free one
   * @return the running server
   * @throws IllegalStateException when S3Mock is not on the classpath (the message names the dependency)
   */
  public static EmbeddedS3 start(int port) {
    requireS3Mock();
    Path root = newStoreRoot();
    Map<String, Object> properties = new HashMap<>();
    properties.put("server.ssl.enabled", "false");
    properties.put("server.address", "127.0.0.1");
    properties.put(S3MockApplication.PROP_HTTPS_PORT, Integer.toString(port));
    properties.put(S3MockApplication.PROP_HTTP_PORT, "0");
    properties.put("server.tomcat.threads.max", "1");
    properties.put("server.tomcat.threads.min-spare", "1");
    properties.put("com.adobe.testing.s3mock.store.root", root.toString());
    properties.put("com.adobe.testing.s3mock.store.retain-files-on-exit", "false");
    properties.put("spring.main.sources", LoopbackConnectors.class.getName());
    properties.put("spring.main.banner-mode", "off");
    // Spring Boot would log "Starting <the caller's main class>" at INFO under the caller's logger.
    properties.put("spring.main.log-startup-info", "false");
    properties.put("spring.jmx.enabled", "false");
    properties.put("logging.level.root", "WARN");
    properties.put("logging.level.com.adobe.testing.s3mock", "WARN");
    properties.put(S3MockApplication.PROP_SILENT, "true");
    ownConfiguration().ifPresent(location -> properties.put("spring.config.location", location));
    return new EmbeddedS3(root, S3MockApplication.start(properties));
  }

  /**
   * s3-lock-testing leaves S3Mock optional (it is a Spring Boot 4 application and would break the test classpath of
   * a Spring Boot 3 application that only wants the interceptors), so say what to add instead of failing with a
   * {@link NoClassDefFoundError} deep inside the start.
   */
  private static void requireS3Mock() {
    try {
      Class.forName("com.adobe.testing.s3mock.S3MockApplication", false, EmbeddedS3.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException("The embedded S3 server needs S3Mock on the test classpath: add the test "
          + "dependency com.adobe.testing:s3mock:" + testedS3MockVersion() + " (a Spring Boot 4 application; with "
          + "Spring Boot 3, run the tests against an external store instead: set " + TestStore.RADOSGW
          + "_ENDPOINT, or another prefix's, and use TestStore.fromEnvironment)", e);
    }
  }

  private static String testedS3MockVersion() {
    try (InputStream in = EmbeddedS3.class.getResourceAsStream("s3-lock-testing.properties")) {
      Properties properties = new Properties();
      if (in != null) {
        properties.load(in);
      }
      return properties.getProperty("s3mock.version", "5.2.0");
    } catch (IOException e) {
      return "5.2.0";
    }
  }

  /**
   * S3Mock's own {@code application.properties}, by its exact place in S3Mock's jar. S3Mock (a Spring Boot
   * application) would otherwise read the first {@code application.properties} on the classpath: in an application
   * that has one, the application's, without the settings S3Mock needs (it then fails to start) and with the
   * application's own (a {@code server.port}, say).
   */
  private static Optional<String> ownConfiguration() {
    try {
      URL code = S3MockApplication.class.getProtectionDomain().getCodeSource().getLocation();
      String location = code.toString().endsWith(".jar") ? "jar:" + code + "!/application.properties"
          : code + "application.properties";
      try (InputStream in = new URL(location).openStream()) {
        return Optional.of(location);
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // Not where it was in S3Mock 5.2.0: let Spring look it up as usual.
    }
  }

  /**
   * The address clients must use: the connector limited to one worker thread, whose conditional writes are atomic.
   *
   * @return {@code http://127.0.0.1:<port>}
   */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + application.getPort());
  }

  /**
   * The port of {@link #endpoint()}.
   *
   * @return the port on 127.0.0.1; the one chosen at start when 0 was asked for
   */
  public int port() {
    return application.getPort();
  }

  /**
   * A store description for tests: endpoint, region, dummy credentials.
   *
   * @return a store whose clients use this server, path-style, in {@code us-east-1}
   */
  public TestStore store() {
    return TestStore.embedded(this);
  }

  /** Stops the server and deletes the objects it stored. */
  public void stop() {
    application.stop();
    deleteRecursively(storeRoot);
  }

  @Override
  public void close() {
    stop();
  }

  private static Path newStoreRoot() {
    try {
      Path target = Path.of("target");
      Path parent = Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
      return Files.createTempDirectory(parent.toAbsolutePath(), "embedded-s3-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a store directory for the embedded S3 server", e);
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover temp directory is harmless.
    }
  }
}
