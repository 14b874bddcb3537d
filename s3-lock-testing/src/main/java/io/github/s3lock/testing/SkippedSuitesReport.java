package io.github.s3lock.testing;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says on the console, once per test run, which suites for an external store were skipped and why: Maven prints
 * a skipped class only as "Skipped: 1" (with {@code -q}, not at all), and the reason lands in the surefire XML
 * alone. The JUnit Platform loads this listener by itself ({@code META-INF/services}) wherever s3-lock-testing is
 * on the test classpath; it prints nothing unless a suite was skipped for want of {@code S3LOCK_RADOSGW_ENDPOINT}.
 */
public final class SkippedSuitesReport implements TestExecutionListener {

  private static final String VARIABLE = TestStore.RADOSGW + "_ENDPOINT";

  private final PrintStream out;
  private final List<String> skipped = new ArrayList<>();
  private String reason;

  /** For the JUnit Platform: prints to {@code System.out}. */
  public SkippedSuitesReport() {
    this(System.out);
  }

  SkippedSuitesReport(PrintStream out) {
    this.out = out;
  }

  @Override
  public void testPlanExecutionStarted(TestPlan testPlan) {
    skipped.clear();
    reason = null;
  }

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    // @EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", ...) says "Environment variable
    // [S3LOCK_RADOSGW_ENDPOINT] does not exist".
    if (reason != null && reason.contains(VARIABLE)) {
      this.reason = this.reason == null ? reason : this.reason;
      TestSource source = test.getSource().orElse(null);
      skipped.add(source instanceof ClassSource c ? c.getJavaClass().getSimpleName() : test.getDisplayName());
    }
  }

  @Override
  public void testPlanExecutionFinished(TestPlan testPlan) {
    if (!skipped.isEmpty()) {
      out.println(message(skipped, reason));
      out.flush();
    }
  }

  static String message(List<String> suites, String reason) {
    return "[s3-lock] Skipped " + (suites.size() == 1 ? "1 suite" : suites.size() + " suites") + " against Ceph"
        + " radosgw (" + String.join(", ", suites) + "): " + reason + ". To run them, start radosgw with"
        + " eval \"$(scripts/radosgw.sh start)\" (root, Debian's Ceph packages), which sets " + VARIABLE
        + ", then run mvn again.";
  }
}
