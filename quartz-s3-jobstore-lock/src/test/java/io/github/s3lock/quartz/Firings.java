package io.github.s3lock.quartz;

import java.time.Duration;
import java.util.Date;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.SchedulerException;

/** What the cluster ran: every execution, by trigger and scheduled fire time, and which node ran it. */
final class Firings {

  record Firing(String trigger, long scheduledAt, String node, long at) {}

  private static final Queue<Firing> ALL = new ConcurrentLinkedQueue<>();
  private static final Map<String, AtomicInteger> BY_SLOT = new ConcurrentHashMap<>();

  private Firings() {}

  static void reset() {
    ALL.clear();
    BY_SLOT.clear();
  }

  static void record(String trigger, Date scheduledAt, String node) {
    ALL.add(new Firing(trigger, scheduledAt.getTime(), node, System.currentTimeMillis()));
    BY_SLOT.computeIfAbsent(trigger + "@" + scheduledAt.getTime(), k -> new AtomicInteger()).incrementAndGet();
  }

  static int total() {
    return ALL.size();
  }

  /** Executions beyond the first of the same trigger and scheduled fire time. */
  static int duplicates() {
    return BY_SLOT.values().stream().mapToInt(c -> c.get() - 1).sum();
  }

  /** Time from the first execution to the last. */
  static Duration span() {
    long first = ALL.stream().mapToLong(Firing::at).min().orElse(0);
    long last = ALL.stream().mapToLong(Firing::at).max().orElse(0);
    return Duration.ofMillis(last - first);
  }

  static long byNode(String node) {
    return ALL.stream().filter(f -> f.node().equals(node)).count();
  }

  static long byNodeSince(String node, long since) {
    return ALL.stream().filter(f -> f.node().equals(node) && f.at() > since).count();
  }

  /** The job of every trigger in the cluster tests. */
  public static class RecordingJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      try {
        record(context.getTrigger().getKey().toString(), context.getScheduledFireTime(),
            context.getScheduler().getSchedulerInstanceId());
      } catch (SchedulerException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
