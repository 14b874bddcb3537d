package io.github.s3lock.quartz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.h2.jdbcx.JdbcConnectionPool;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/** A Quartz JDBC job store database in H2's memory, for schedulers built by the tests. */
final class H2JobStore {

  private H2JobStore() {}

  /** Creates the database {@code name} with Quartz's tables (its own {@code tables_h2.sql}); returns its URL. */
  static String create(String name) throws SQLException {
    String jdbcUrl = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
    String ddl;
    try (InputStream in = StdSchedulerFactory.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_h2.sql")) {
      ddl = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl, "sa", "");
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      for (String statement : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
        if (!statement.isBlank()) {
          s.execute(statement);
        }
      }
    } finally {
      pool.dispose();
    }
    return jdbcUrl;
  }

  /**
   * Registers a connection pool on {@code jdbcUrl} as Quartz data source {@code dataSource}. Quartz keeps them in
   * a JVM-wide registry by name: give each scheduler its own.
   */
  static void register(String dataSource, String jdbcUrl) {
    JdbcConnectionPool pool = JdbcConnectionPool.create(jdbcUrl, "sa", "");
    DBConnectionManager.getInstance().addConnectionProvider(dataSource, new ConnectionProvider() {
      @Override
      public Connection getConnection() throws SQLException {
        return pool.getConnection();
      }

      @Override
      public void shutdown() {
        pool.dispose();
      }

      @Override
      public void initialize() {}
    });
  }
}
