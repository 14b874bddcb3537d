package io.github.s3lock.examples.shedlock;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockingTaskExecutorListener;

/**
 * Which node ran which task at which tick. One instance may be shared by several nodes in one JVM (the demo and
 * the tests do so) to check that no tick ran twice.
 *
 * <p>As a {@link LockingTaskExecutorListener} (shedlock-spring passes every such bean to its advisor) it learns
 * when the scheduler fired each run: ShedLock creates the {@link LockConfiguration} at that moment, before it
 * asks for the lock. That, rounded to the second, is the tick; the time the task body starts is not, since
 * taking the lock may take a while.
 */
public final class ExecutionLog implements LockingTaskExecutorListener {

  /** One run of a task. {@code tick} is the scheduled second (cron fires on whole seconds). */
  public record Execution(String task, Instant tick, String node, long fencingToken) {}

  private static final DateTimeFormatter TICK = DateTimeFormatter.ofPattern("HH:mm:ss");

  private final boolean print;
  private final List<Execution> executions = new ArrayList<>();
  private final ThreadLocal<Instant> firedAt = new ThreadLocal<>();

  public ExecutionLog(boolean print) {
    this.print = print;
  }

  @Override
  public void onTaskStarted(LockConfiguration configuration) {
    // LockConfiguration keeps its creation time only as lockAtMostUntil - lockAtMostFor.
    firedAt.set(configuration.getLockAtMostUntil().minus(configuration.getLockAtMostFor()));
  }

  @Override
  public void onTaskFinished(LockConfiguration configuration, Duration duration) {
    firedAt.remove();
  }

  void ran(String task, String node, long fencingToken) {
    Instant fired = firedAt.get();
    if (fired == null) {
      throw new IllegalStateException(task + " ran without ShedLock's advisor: is @EnableSchedulerLock missing?");
    }
    // Rounded, not truncated: a scheduler may fire a millisecond before the second it was due.
    Instant tick = fired.plusMillis(500).truncatedTo(ChronoUnit.SECONDS);
    Execution execution = new Execution(task, tick, node, fencingToken);
    synchronized (this) {
      executions.add(execution);
    }
    if (print) {
      System.out.printf("%s  %-12s ran on %-7s (fencing token %d)%n",
          TICK.format(LocalTime.ofInstant(execution.tick(), ZoneId.systemDefault())), task, node, fencingToken);
    }
  }

  public synchronized List<Execution> executions() {
    return List.copyOf(executions);
  }

  public synchronized long count(String task) {
    return executions.stream().filter(e -> e.task().equals(task)).count();
  }

  /** (task, tick) pairs that ran more than once, with their runs: must be empty. */
  public synchronized Map<String, List<Execution>> duplicates() {
    return executions.stream()
        .collect(Collectors.groupingBy(e -> e.task() + "@" + e.tick(), TreeMap::new, Collectors.toList()))
        .entrySet().stream().filter(entry -> entry.getValue().size() > 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }

  /** Runs per node, e.g. {@code {node-1=7, node-2=9}}. */
  public synchronized Map<String, Long> byNode() {
    return executions.stream()
        .collect(Collectors.groupingBy(Execution::node, TreeMap::new, Collectors.counting()));
  }

  synchronized long countSince(Instant since) {
    return executions.stream().filter(e -> !e.tick().isBefore(since)).count();
  }

}
