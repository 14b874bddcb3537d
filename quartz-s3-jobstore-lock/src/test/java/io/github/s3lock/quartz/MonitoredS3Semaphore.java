package io.github.s3lock.quartz;

import io.github.s3lock.testing.RequestCounter;
import io.github.s3lock.testing.TestStore;
import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.impl.jdbcjobstore.LockException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 lock handler of the cluster tests, configured by Quartz like the real one, that also counts how many
 * nodes hold each lock at once (across all instances in the JVM) and can cut a node off from S3.
 */
public class MonitoredS3Semaphore extends S3Semaphore {

  static final RequestCounter REQUESTS = new RequestCounter();
  static final Map<String, Outage> OUTAGES = new ConcurrentHashMap<>();
  /** Nodes that lose S3 right after their next acquisition: they die holding the lock. */
  static final Map<String, Boolean> CRASH_AFTER_NEXT_OBTAIN = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> HOLDERS = new ConcurrentHashMap<>();
  private static final AtomicInteger MAX_HOLDERS = new AtomicInteger();

  private String node = "unnamed";

  static void reset() {
    REQUESTS.reset();
    OUTAGES.clear();
    CRASH_AFTER_NEXT_OBTAIN.clear();
    HOLDERS.clear();
    MAX_HOLDERS.set(0);
  }

  /** The most nodes that ever held one lock name at the same time. */
  static int maxHolders() {
    return MAX_HOLDERS.get();
  }

  @Override
  public void setLockedBy(String lockedBy) {
    super.setLockedBy(lockedBy);
    this.node = lockedBy;
  }

  @Override
  S3Client newS3Client() {
    return TestStore.embedded().newClient(REQUESTS, OUTAGES.computeIfAbsent(node, n -> new Outage()));
  }

  @Override
  public boolean obtainLock(Connection conn, String lockName) throws LockException {
    boolean obtained = super.obtainLock(conn, lockName);
    if (holdCount(lockName) == 1) {
      int now = HOLDERS.computeIfAbsent(lockName, n -> new AtomicInteger()).incrementAndGet();
      MAX_HOLDERS.accumulateAndGet(now, Math::max);
      if (CRASH_AFTER_NEXT_OBTAIN.remove(node) != null) {
        OUTAGES.get(node).start(); // No renewal, no release reaches S3 from now on.
      }
    }
    return obtained;
  }

  @Override
  public void releaseLock(String lockName) {
    // Counted out before the S3 release: with a correct lock, nobody else can be counted in before it.
    if (holdCount(lockName) == 1) {
      HOLDERS.get(lockName).decrementAndGet();
    }
    super.releaseLock(lockName);
  }
}
