package io.github.s3lock.examples.shedlock;

import io.github.s3lock.shedlock.S3LockProvider;
import net.javacrumbs.shedlock.spring.annotation.SchedulerLock;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Two scheduled tasks that every node schedules and only one node runs per tick.
 *
 * <p>{@code lockAtLeastFor} is what keeps a tick from running twice: the winner may finish and unlock before a
 * slower node's scheduler even fires for the same tick, so the lock must outlive the task by more than the
 * nodes' scheduling jitter and clock difference, and less than the period.
 */
@Component
public class ExampleTasks {

  private final ExecutionLog log;
  private final String node;

  public ExampleTasks(ExecutionLog log, @Value("${s3lock.node:${HOSTNAME:node}}") String node) {
    this.log = log;
    this.node = node;
  }

  @Scheduled(cron = "${example.report.cron:* * * * * *}")
  @SchedulerLock(name = "send-report", lockAtLeastFor = "PT0.8S", lockAtMostFor = "PT30S")
  public void sendReport() {
    // The token of this task's lock: a downstream store that remembers the largest token it has seen can
    // refuse this write if a newer holder already wrote (see docs/shedlock.md).
    long token = S3LockProvider.currentFencingToken().orElseThrow();
    log.ran("send-report", node, token);
  }

  @Scheduled(cron = "${example.cleanup.cron:*/2 * * * * *}")
  @SchedulerLock(name = "clean-up", lockAtLeastFor = "PT1.5S", lockAtMostFor = "PT30S")
  public void cleanUp() {
    log.ran("clean-up", node, S3LockProvider.currentFencingToken().orElseThrow());
  }
}
