package io.github.s3lock.examples.shedlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;
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
      await().atMost(Duration.ofSeconds(60))
          .until(() -> log.count("send-report") >= 6 && log.count("clean-up") >= 3);
    }

    assertThat(log.duplicates()).as("ticks that ran on both nodes").isEmpty();
    assertThat(log.executions()).extracting(ExecutionLog.Execution::node).containsAnyOf("node-a", "node-b");
    assertThat(log.executions()).extracting(ExecutionLog.Execution::fencingToken).allMatch(token -> token > 0);
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
