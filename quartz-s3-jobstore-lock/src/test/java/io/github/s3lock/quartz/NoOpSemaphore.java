package io.github.s3lock.quartz;

import java.sql.Connection;
import org.quartz.impl.jdbcjobstore.Semaphore;

/** A lock handler that locks nothing: the control that shows the cluster test detects a broken lock. */
public class NoOpSemaphore implements Semaphore {
  @Override
  public boolean obtainLock(Connection conn, String lockName) {
    return true;
  }

  @Override
  public void releaseLock(String lockName) {}

  @Override
  public boolean requiresConnection() {
    return false;
  }
}
