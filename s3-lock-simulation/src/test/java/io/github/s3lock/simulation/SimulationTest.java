package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The simulation suite: seeded runs of the real {@code S3LockProvider} and {@code S3LockClient} over the
 * in-memory S3 with faults, each judged by the {@link Checker}; and the same checker catching deliberately
 * broken stores, so that a silent checker cannot pass for a correct protocol.
 *
 * <p>Every run's seed derives from one base seed, printed with every failure; {@code -Dseed=<base>} replays the
 * whole suite exactly (each run is deterministic given its seed).
 */
class SimulationTest {

  private static final long BASE_SEED = Long.getLong("seed", new Random().nextLong());

  /** Run lengths in virtual seconds; the mix of clock modes and contention is fixed, only seeds vary. */
  private static final int RUNS = 48;
  private static final long RUN_SECONDS = 1800;

  @Test
  void realClientsNeverViolateTheInvariantsUnderFaults() throws IOException {
    Random seeds = new Random(BASE_SEED);
    List<Simulation.Result> results = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < RUNS; i++) {
      int locks = i % 4 < 2 ? 3 : 12; // high and moderate contention
      Simulation.Config config = i % 2 == 0 ? Simulation.Config.clientTime(locks, RUN_SECONDS)
          : Simulation.Config.serverTime(locks, RUN_SECONDS);
      Simulation.Result result = Simulation.run(seeds.nextLong(), config);
      results.add(result);
      assertThat(result.verdict().violations())
          .as("run %d (seed %d, %s) violated the lock invariants; replay with -Dseed=%d", i, result.seed(),
              config, BASE_SEED)
          .isEmpty();
    }
    String report = report(results, System.nanoTime() - started);
    System.out.println(report);
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "simulation-report.txt"), report);
    // A lock cycle is one lock() call and, when it succeeds, the hold and the unlock that follow; every call's
    // outcome is checked ((c), (d), (e)), every hold against every other ((a), (b)).
    long cycles = results.stream().mapToLong(r -> r.verdict().attempts()).sum();
    assertThat(cycles).as("checked lock cycles").isGreaterThanOrEqualTo(100_000);
    long acquisitions = results.stream().mapToLong(r -> r.verdict().acquisitions()).sum();
    assertThat(acquisitions).as("checked acquisitions").isGreaterThanOrEqualTo(100_000);
  }

  @Test
  void theCheckerCatchesAStoreThatIgnoresConditionalWrites() {
    Simulation.Result result = Simulation.run(BASE_SEED,
        Simulation.Config.clientTime(3, 600).broken(InMemoryS3.Broken.IGNORE_CONDITIONS));
    System.out.println("IGNORE_CONDITIONS: " + result.verdict().violationCount() + " violations, e.g. "
        + result.verdict().violations().get(0));
    assertThat(result.verdict().violations()).as("seed %d", BASE_SEED)
        .anyMatch(v -> v.startsWith("(a)")).anyMatch(v -> v.startsWith("(b)"));
  }

  @Test
  void theCheckerCatchesAStoreThatChecksConditionsBeforeWritingNonAtomically() {
    Simulation.Result result = Simulation.run(BASE_SEED,
        Simulation.Config.clientTime(3, 1800).broken(InMemoryS3.Broken.CHECK_THEN_WRITE));
    System.out.println("CHECK_THEN_WRITE: " + result.verdict().violationCount() + " violations, e.g. "
        + result.verdict().violations().get(0));
    assertThat(result.verdict().violations()).as("seed %d", BASE_SEED).anyMatch(v -> v.startsWith("(a)"));
  }

  private static String report(List<Simulation.Result> results, long elapsedNanos) {
    long attempts = 0;
    long acquisitions = 0;
    long requests = 0;
    long crashes = 0;
    long violations = 0;
    long recovery = 0;
    long freeButNotAcquired = 0;
    Map<Fault, Long> faults = new EnumMap<>(Fault.class);
    Map<String, Integer> exceptions = new java.util.TreeMap<>();
    for (Simulation.Result r : results) {
      attempts += r.verdict().attempts();
      acquisitions += r.verdict().acquisitions();
      requests += r.requests();
      crashes += r.verdict().crashes();
      violations += r.verdict().violationCount();
      freeButNotAcquired += r.verdict().freeButNotAcquiredUnderFaults();
      recovery = Math.max(recovery, r.verdict().maxCrashRecoveryNanos());
      r.faults().forEach((f, n) -> faults.merge(f, n, Long::sum));
      r.verdict().exceptions().forEach((e, n) -> exceptions.merge(e, n, Integer::sum));
    }
    StringBuilder s = new StringBuilder();
    s.append("Simulation, base seed ").append(BASE_SEED).append(" (replay: -Dseed=").append(BASE_SEED).append(")\n");
    s.append("runs: ").append(results.size()).append(" x ").append(RUN_SECONDS).append(" virtual s, 5 nodes\n");
    s.append("lock cycles checked (lock() calls, with the hold and unlock that follow a success): ")
        .append(attempts).append('\n');
    s.append("of which acquired (then released, lost to a stall, or crashed): ").append(acquisitions).append('\n');
    s.append("S3 requests: ").append(requests).append('\n');
    s.append("holders crashed: ").append(crashes).append(", longest wait past lockUntil before the next holder: ")
        .append(Checker.ms(recovery)).append('\n');
    s.append("faults injected: ").append(faults).append(" (total ")
        .append(faults.values().stream().mapToLong(Long::longValue).sum()).append(")\n");
    s.append("exceptions seen by callers (all documented types): ").append(exceptions).append('\n');
    s.append("attempts on a free lock answered \"not acquired\" while the store failed them: ")
        .append(freeButNotAcquired).append('\n');
    s.append("violations: ").append(violations).append('\n');
    s.append(String.format("wall time: %.1f s%n", elapsedNanos / 1e9));
    return s.toString();
  }
}
