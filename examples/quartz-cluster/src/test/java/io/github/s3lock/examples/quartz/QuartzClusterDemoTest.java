package io.github.s3lock.examples.quartz;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The Quartz demo as the README runs it: what it prints, and nothing logged at ERROR, shutdown included. */
class QuartzClusterDemoTest {

  @Test
  void firesEveryTriggerOnceExplainsTheFiguresAndShutsDownWithoutAnError() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    root.addAppender(events);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exitCode;
    try {
      exitCode = QuartzClusterDemo.run(new PrintStream(printed, true, StandardCharsets.UTF_8));
    } finally {
      root.detachAppender(events);
    }

    String out = printed.toString(StandardCharsets.UTF_8);
    assertThat(exitCode).as(out).isZero();
    assertThat(out).contains("Two nodes, 10 triggers each due every second, 10 times (100 firings over 10 s)...")
        .contains("total    fired 100 of 100, duplicates 0 (must be 0)")
        .containsPattern("100 firings were due over 10 s; the cluster made them in \\d+\\.\\d s \\(\\d+\\.\\d per"
            + " second\\), the latest \\d+\\.\\d s after it was due")
        .contains("Why late: every firing takes Quartz's cluster lock about 3 times");
    assertThat(events.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
  }
}
