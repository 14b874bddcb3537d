package io.github.s3lock.examples.shedlock;

import io.github.s3lock.testing.RequestCounter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Runs three nodes of {@link ShedLockExampleApplication} in one JVM, each a Spring context with its own S3
 * client, against one bucket (the embedded S3 server unless a real store is configured, see the application),
 * for about 16 seconds. Prints which node ran each task at each tick, then the executions, the duplicates (ticks
 * that ran twice: must be 0) and the S3 requests per lock cycle. Exits 1 if any tick ran twice.
 *
 * <p>{@code mvn -B -q -Pdemo -DskipTests verify} from the repository root runs it.
 */
public final class ShedLockClusterDemo {

  private static final int NODES = 3;
  private static final Duration RUN = Duration.ofSeconds(16);
  /** Requests before this are the nodes' start-up (bucket check, conformance probe); not counted per cycle. */
  private static final Duration WARM_UP = Duration.ofSeconds(3);

  private ShedLockClusterDemo() {}

  public static void main(String[] args) throws InterruptedException {
    ExecutionLog log = new ExecutionLog(true);
    List<RequestCounter> counters = new ArrayList<>();
    List<ConfigurableApplicationContext> nodes = new ArrayList<>();
    System.out.printf("Starting %d nodes (Spring contexts, each with its own S3 client)...%n", NODES);
    for (int i = 1; i <= NODES; i++) {
      RequestCounter counter = new RequestCounter();
      counters.add(counter);
      nodes.add(new SpringApplicationBuilder(ShedLockExampleApplication.class)
          .web(WebApplicationType.NONE)
          .bannerMode(Banner.Mode.OFF)
          .logStartupInfo(false)
          .properties("s3lock.node=node-" + i)
          .initializers(context -> {
            context.getBeanFactory().registerSingleton("executionLog", log);
            context.getBeanFactory().registerSingleton("requestCounter", counter);
          })
          .run(args));
    }

    Thread.sleep(WARM_UP.toMillis());
    // Count from the next whole second, so that the executions counted are those of whole ticks.
    Instant countedFrom = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    Thread.sleep(Duration.between(Instant.now(), countedFrom).toMillis());
    counters.forEach(RequestCounter::reset);
    Thread.sleep(RUN.minus(WARM_UP).toMillis());

    nodes.forEach(ConfigurableApplicationContext::close);
    long requests = counters.stream().mapToLong(RequestCounter::total).sum();
    long cycles = log.countSince(countedFrom);
    Map<String, List<ExecutionLog.Execution>> duplicates = log.duplicates();

    System.out.println();
    System.out.printf("executions: %d (send-report %d, clean-up %d), by node %s%n", log.executions().size(),
        log.count("send-report"), log.count("clean-up"), log.byNode());
    System.out.printf("duplicates: %d%s%n", duplicates.size(), duplicates.isEmpty() ? "" : " " + duplicates);
    Map<String, Integer> byMethod = new java.util.TreeMap<>();
    counters.forEach(c -> c.byMethod().forEach((method, n) -> byMethod.merge(method, n, Integer::sum)));
    System.out.printf("S3 requests per lock cycle: %.2f (%d requests %s by %d nodes for %d executions after warm-up)%n",
        cycles == 0 ? 0.0 : (double) requests / cycles, requests, byMethod, NODES, cycles);
    System.out.println("  every node tries every tick: the winner locks and unlocks with 1 PUT each; a node that finds"
        + " the lock held pays 1 GET; one that raced the winner for a free lock pays a failed PUT and a GET more.");
    System.exit(duplicates.isEmpty() && cycles > 0 ? 0 : 1);
  }
}
