package io.github.s3lock.examples.shedlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.s3lock.examples.shedlock.ExecutionLog.Execution;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import io.github.s3lock.shedlock.S3LockProvider;
import net.javacrumbs.shedlock.core.LockProvider;
import org.junit.jupiter.api.Test;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two application contexts of the example (each with {@code @EnableSchedulerLock} and its own S3 client) share
 * the embedded S3 server and one bucket: every tick of each {@code @Scheduled @SchedulerLock} task runs on
 * exactly one of them.
 */
class TwoNodesRunEachTickOnceTest {

  @Test
  void eachTickRunsOnOneNode() {
    ExecutionLog log = new ExecutionLog(false);
    String bucket = "shedlock-it-" + UUID.randomUUID().toString().substring(0, 8);

    try (ConfigurableApplicationContext a = node("node-a", bucket, log);
        ConfigurableApplicationContext b = node("node-b", bucket, log)) {
      // The application defines no LockProvider: the auto-configuration's, on the application's S3 client.
      assertThat(a.getBean(LockProvider.class)).isInstanceOf(S3LockProvider.class);
      await().atMost(Duration.ofSeconds(60))
          .until(() -> log.count("send-report") >= 6 && log.count("clean-up") >= 3);
    }

    assertThat(log.duplicates()).as("ticks that ran more than once").isEmpty();
    assertThat(log.executions()).extracting(Execution::node).as("nodes that ran a tick")
        .isSubsetOf("node-a", "node-b");
    for (String task : List.of("send-report", "clean-up")) {
      // Each tick took the lock anew, after the previous tick: its token is larger, whichever node won.
      List<Long> tokens = log.executions().stream().filter(e -> e.task().equals(task))
          .sorted(Comparator.comparing(Execution::tick)).map(Execution::fencingToken).toList();
      assertThat(tokens).as("fencing tokens of %s in tick order", task).isSorted().doesNotHaveDuplicates();
    }
  }

  private static ConfigurableApplicationContext node(String name, String bucket, ExecutionLog log) {
    return new SpringApplicationBuilder(ShedLockExampleApplication.class)
        .web(WebApplicationType.NONE)
        .bannerMode(Banner.Mode.OFF)
        .properties("s3lock.node=" + name, "s3lock.bucket=" + bucket)
        .initializers(context -> context.getBeanFactory().registerSingleton("executionLog", log))
        .run();
  }
}
