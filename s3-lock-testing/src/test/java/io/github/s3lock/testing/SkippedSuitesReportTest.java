package io.github.s3lock.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** The console line a developer sees when the radosgw suites are skipped, and silence otherwise. */
class SkippedSuitesReportTest {

  /** Disabled as the *RadosgwTest suites are, by a value that never matches (so also where radosgw runs). */
  @EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = "no store has this endpoint")
  static class ARadosgwSuite {
    @Test
    void neverRuns() {}
  }

  static class AnotherSuite {
    @Test
    void runs() {}
  }

  @Test
  void saysWhichSuitesWereSkippedAndHowToRunThem() {
    String printed = run(ARadosgwSuite.class, AnotherSuite.class);

    assertThat(printed).startsWith("[s3-lock] Skipped 1 suite against Ceph radosgw (ARadosgwSuite): Environment"
            + " variable [S3LOCK_RADOSGW_ENDPOINT]")
        .contains("To run them, start radosgw with eval \"$(scripts/radosgw.sh start)\"")
        .doesNotContain("AnotherSuite")
        .hasLineCount(1);
  }

  @Test
  void printsNothingWhenNothingWasSkipped() {
    assertThat(run(AnotherSuite.class)).isEmpty();
  }

  @Test
  void isFoundByTheJUnitPlatformWithoutConfiguration() {
    assertThat(java.util.ServiceLoader.load(org.junit.platform.launcher.TestExecutionListener.class).stream()
        .map(p -> p.type().getName())).contains(SkippedSuitesReport.class.getName());
  }

  private static String run(Class<?>... classes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
        .enableTestExecutionListenerAutoRegistration(false)
        .addTestExecutionListeners(new SkippedSuitesReport(out))
        .build());
    LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
    for (Class<?> c : classes) {
      request.selectors(selectClass(c));
    }
    launcher.execute(request.build());
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
