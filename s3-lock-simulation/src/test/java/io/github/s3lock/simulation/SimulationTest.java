package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The simulation suite: seeded runs of the real {@code S3LockProvider} and {@code S3LockClient} over the
 * in-memory S3 with faults, each judged by the {@link Checker}; and negative controls: the same checker catching
 * deliberately broken stores and old client behaviour put back, so that a silent checker cannot pass for a
 * correct protocol. (The checker's conditions against hand-made histories of each fault class: {@link CheckerTest}.)
 *
 * <p>Every run's seed derives from one base seed ({@link Seeds}: fixed in CI, random with
 * {@code -Psimulation-random}), printed in the report and with every failure; {@code -Dseed=<base>} replays the
 * whole suite exactly (each run is deterministic given its seed: virtual time, one thread at a time).
 * {@code -Dsimulation.runs} and {@code -Dsimulation.runSeconds} shorten it while developing. The figures go to
 * {@code target/simulation-report.txt}.
 */
class SimulationTest {

  private static final long BASE_SEED = Seeds.base();

  /** Run lengths in virtual seconds; the mix of clock modes and contention is fixed, only seeds vary. */
  private static final int DEFAULT_RUNS = 56;
  private static final long DEFAULT_RUN_SECONDS = 1800;
  private static final int RUNS = Integer.getInteger("simulation.runs", DEFAULT_RUNS);
  private static final long RUN_SECONDS = Long.getLong("simulation.runSeconds", DEFAULT_RUN_SECONDS);

  /** Checked lock cycles (and acquisitions) the full suite must reach; shortened runs need proportionally fewer. */
  private static final long MIN_CYCLES = 100_000;
  private static final int EXAMPLES_PER_CONDITION = 3;

  @Test
  void realClientsNeverViolateTheInvariantsUnderFaults() {
    Random seeds = new Random(BASE_SEED);
    List<Simulation.Result> results = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < RUNS; i++) {
      int locks = i % 4 < 2 ? 3 : 12; // high and moderate contention
      Simulation.Config config = i % 2 == 0 ? Simulation.Config.clientTime(locks, RUN_SECONDS)
          : Simulation.Config.serverTime(locks, RUN_SECONDS);
      results.add(Simulation.run(seeds.nextLong(), config));
    }
    String report = report(results, System.nanoTime() - started);
    System.out.println(report);
    Report.section("1 main runs", report);
    List<String> violations = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      Simulation.Result r = results.get(i);
      for (String v : r.verdict().violations()) {
        violations.add(String.format("run %d (%s): %s", i, replay("MAIN", r), v));
      }
    }
    assertThat(violations).as("lock invariants violated; replay with -Dseed=%d", BASE_SEED).isEmpty();
    // A lock cycle is one lock() call and, when it succeeds, the hold and the unlock that follow; every call's
    // outcome is checked ((c), (d), (e), (f)), every hold against every other ((a), (b)).
    long minimum = MIN_CYCLES * Math.min(RUNS * RUN_SECONDS, DEFAULT_RUNS * DEFAULT_RUN_SECONDS)
        / (DEFAULT_RUNS * DEFAULT_RUN_SECONDS);
    long cycles = results.stream().mapToLong(r -> r.verdict().attempts()).sum();
    assertThat(cycles).as("checked lock cycles").isGreaterThanOrEqualTo(minimum);
    long acquisitions = results.stream().mapToLong(r -> r.verdict().acquisitions()).sum();
    assertThat(acquisitions).as("checked acquisitions").isGreaterThanOrEqualTo(minimum);
  }

  /**
   * One fault class at a time, at a rate far above the main runs' (whose modest rates rarely hit the narrow
   * windows that matter, such as a late write landing between a read-back and the next write), the other node and
   * operator faults off, the store's usual faults around it; in both time modes.
   */
  enum Focus {
    LATE_LANDING_WRITES(c -> c.with(Simulation.Hazards.NONE).with(c.rates().withLateLandings(0.1))),
    DELETED_OBJECTS(c -> c.with(new Simulation.Hazards(600, 0, 0, 0, 0, 0))),
    WALL_CLOCK_STEPS(c -> c.with(new Simulation.Hazards(0, 120, 10_000, 0, 0, 0))),
    FAILING_LISTENERS(c -> c.with(new Simulation.Hazards(0, 0, 0, 0.05, 0, 0))),
    INTERRUPTS(c -> c.with(new Simulation.Hazards(0, 0, 0, 0, 0.02, 0)).with(c.rates().withInterrupts(0.02))),
    KEEP_ALIVE_UNDER_BURSTS(c -> c.with(new Simulation.Hazards(0, 0, 0, 0, 0, 0.5))
        .with(c.rates().withBursts(0.002)));

    private final UnaryOperator<Simulation.Config> shape;

    Focus(UnaryOperator<Simulation.Config> shape) {
      this.shape = shape;
    }
  }

  @Test
  void eachFaultClassAloneAtAHighRateKeepsTheInvariants() {
    Random seeds = new Random(BASE_SEED + 1);
    StringBuilder report = new StringBuilder();
    List<String> violations = new ArrayList<>();
    for (Focus focus : Focus.values()) {
      for (boolean server : new boolean[] {false, true}) {
        Simulation.Config config = focus.shape.apply(server ? Simulation.Config.serverTime(3, RUN_SECONDS)
            : Simulation.Config.clientTime(3, RUN_SECONDS));
        Simulation.Result r = Simulation.run(seeds.nextLong(), config);
        Checker.Verdict v = r.verdict();
        String run = replay(focus.name(), r);
        report.append(String.format("%s: %d lock cycles, faults %s, %s, violations %d %s%n", run, v.attempts(),
            r.faults(), v.figures(), v.violationCount(), v.violationsByCondition()));
        v.violations().forEach(text -> violations.add(run + ": " + text));
      }
    }
    violations.stream().limit(EXAMPLES_PER_CONDITION * 4L).forEach(t -> report.append("  ").append(t).append('\n'));
    System.out.print(report);
    Report.section("1b focused runs", report.toString());
    assertThat(violations).as("lock invariants violated; replay with -Dseed=%d", BASE_SEED).isEmpty();
  }

  /**
   * Replays one run named in the report, e.g. {@code -Dsimulation.replay=INTERRUPTS,client,3,2977067601388581247}
   * ({@code MAIN} or a {@link Focus}, time mode, locks, seed).
   */
  @Test
  @EnabledIfSystemProperty(named = "simulation.replay", matches = ".+")
  void replayOneRun() {
    String[] run = System.getProperty("simulation.replay").split(",");
    boolean server = run[1].equals("server");
    int locks = Integer.parseInt(run[2]);
    Simulation.Config config = server ? Simulation.Config.serverTime(locks, RUN_SECONDS)
        : Simulation.Config.clientTime(locks, RUN_SECONDS);
    if (!run[0].equals("MAIN")) {
      config = Focus.valueOf(run[0]).shape.apply(config);
    }
    List<String> violations = control("0 replay " + String.join(",", run), null,
        Simulation.run(Long.parseLong(run[3]), config));
    assertThat(violations).isEmpty();
  }

  /** How to replay a run alone: {@code -Dsimulation.replay=...}. */
  private static String replay(String what, Simulation.Result r) {
    return "-Dsimulation.replay=" + what + "," + (r.config().serverTime() ? "server" : "client") + ","
        + r.config().locks() + "," + r.seed();
  }

  @Test
  void theCheckerCatchesAStoreThatIgnoresConditionalWrites() {
    Simulation.Result result = Simulation.run(BASE_SEED,
        Simulation.Config.clientTime(3, 600).broken(InMemoryS3.Broken.IGNORE_CONDITIONS));
    List<String> violations = control("2 store ignores conditional writes", null, result);
    assertThat(violations).as("seed %d", BASE_SEED)
        .anyMatch(v -> v.startsWith("(a)")).anyMatch(v -> v.startsWith("(b)"));
  }

  @Test
  void theCheckerCatchesAStoreThatChecksConditionsBeforeWritingNonAtomically() {
    Simulation.Result result = Simulation.run(BASE_SEED,
        Simulation.Config.clientTime(3, 1800).broken(InMemoryS3.Broken.CHECK_THEN_WRITE));
    List<String> violations = control("3 store checks conditions before writing", null, result);
    assertThat(violations).as("seed %d", BASE_SEED).anyMatch(v -> v.startsWith("(a)"));
  }

  /** What the real pre-fix StoreClock did in the simulation: the commit, the run that replays it, the violation. */
  static final String OLD_STORE_CLOCK =
      "core f9f7870 (before 640af59; no ticker), -Dsimulation.replay=WALL_CLOCK_STEPS,server,3,-2293248644406171799:"
      + " 21 like (a) two holders of 'job-1': ACQUIRE#602(node 0, job-1, 126.037s..126.561s -> SUCCESS) worked"
      + " until 130.608s, ACQUIRE#623(node 1, job-1, 130.311s..130.365s -> SUCCESS) started at 130.365s";

  /**
   * Wall-clock steps against server-time bounds carried on the wall clock (StoreClock before 640af59): a step
   * forward moves the lower bound of the store's clock ahead of the truth, and a contender takes a held lock. The
   * real pre-fix core did so too: {@link #OLD_STORE_CLOCK}.
   */
  @Test
  void theCheckerCatchesStoreTimeBoundsCarriedOnASteppingWallClock() {
    Simulation.Hazards steps = new Simulation.Hazards(0, 120, 10_000, 0, 0, 0);
    Simulation.Result result = Simulation.run(BASE_SEED, Simulation.Config.serverTime(3, 1800).with(steps)
        .with(Simulation.OldBehaviour.STORE_CLOCK_ON_WALL_CLOCK));
    List<String> violations = control("4 server-time bounds on the wall clock, clocks stepping", OLD_STORE_CLOCK,
        result);
    assertThat(violations).as("seed %d", BASE_SEED).anyMatch(v -> v.startsWith("(a)"));
  }

  /** A keep-alive that gives up when the store fails three writes in a row (a 503 burst) while its lease is valid. */
  @Test
  void theCheckerCatchesAKeepAliveThatGivesUpWhileItsLeaseIsValid() {
    Simulation.Hazards keepAlive = new Simulation.Hazards(0, 0, 0, 0, 0, 0.5);
    Simulation.Config config = Simulation.Config.clientTime(3, 1800).with(keepAlive)
        .with(Simulation.OldBehaviour.KEEP_ALIVE_GIVES_UP_ON_ERROR);
    Simulation.Result result = Simulation.run(BASE_SEED, config.with(config.rates().withBursts(0.002)));
    List<String> violations = control("5 keep-alive gives up on the first failed extension",
        CheckerTest.OLD_KEEP_ALIVE, result);
    assertThat(violations).as("seed %d", BASE_SEED).anyMatch(v -> v.startsWith("(f)"));
  }

  /**
   * Reports what a negative control found (its first violation of each condition), after what the old code it
   * puts back did (if quoted), and returns the violations.
   */
  private static List<String> control(String title, String oldCode, Simulation.Result result) {
    Checker.Verdict v = result.verdict();
    StringBuilder s = new StringBuilder(oldCode == null ? "" : "old code: " + oldCode + "\n");
    s.append(String.format("seed %d, %s time, %d lock cycles: %d violations %s%n", result.seed(),
        result.config().serverTime() ? "server" : "client", v.attempts(), v.violationCount(),
        v.violationsByCondition()));
    Map<Character, String> first = new TreeMap<>();
    v.violations().forEach(text -> first.putIfAbsent(text.charAt(1), text));
    first.values().forEach(text -> s.append("  e.g. ").append(text).append('\n'));
    System.out.print(title + ": " + s);
    Report.section("negative control " + title, s.toString());
    return v.violations();
  }

  private static String report(List<Simulation.Result> results, long elapsedNanos) {
    long attempts = 0;
    long acquisitions = 0;
    long requests = 0;
    long crashes = 0;
    long violations = 0;
    long recovery = 0;
    long freeButNotAcquired = 0;
    Checker.Figures figures = Checker.Figures.NONE;
    Map<Fault, Long> faults = new EnumMap<>(Fault.class);
    Map<Fault, Long> clientSteps = new EnumMap<>(Fault.class);
    Map<String, Integer> exceptions = new TreeMap<>();
    Map<Character, Integer> byCondition = new TreeMap<>();
    Map<Character, List<String>> examples = new TreeMap<>();
    for (Simulation.Result r : results) {
      attempts += r.verdict().attempts();
      acquisitions += r.verdict().acquisitions();
      requests += r.requests();
      crashes += r.verdict().crashes();
      violations += r.verdict().violationCount();
      freeButNotAcquired += r.verdict().freeButNotAcquiredUnderFaults();
      recovery = Math.max(recovery, r.verdict().maxCrashRecoveryNanos());
      figures = figures.plus(r.verdict().figures());
      r.faults().forEach((f, n) -> faults.merge(f, n, Long::sum));
      if (!r.config().serverTime()) {
        clientSteps.merge(Fault.WALL_CLOCK_STEP, r.faults().getOrDefault(Fault.WALL_CLOCK_STEP, 0L), Long::sum);
      }
      r.verdict().exceptions().forEach((e, n) -> exceptions.merge(e, n, Integer::sum));
      r.verdict().violationsByCondition().forEach((c, n) -> byCondition.merge(c, n, Integer::sum));
      for (String v : r.verdict().violations()) {
        List<String> some = examples.computeIfAbsent(v.charAt(1), c -> new ArrayList<>());
        if (some.size() < EXAMPLES_PER_CONDITION) {
          some.add(replay("MAIN", r) + ": " + v);
        }
      }
    }
    long steps = faults.getOrDefault(Fault.WALL_CLOCK_STEP, 0L);
    long stepsInClientTime = clientSteps.getOrDefault(Fault.WALL_CLOCK_STEP, 0L);
    StringBuilder s = new StringBuilder();
    s.append("Simulation, base seed ").append(BASE_SEED).append(" (replay: -Dseed=").append(BASE_SEED).append(")\n");
    s.append("runs: ").append(results.size()).append(" x ").append(RUN_SECONDS)
        .append(" virtual s, 5 nodes, client and server time alternating\n");
    s.append("lock cycles checked (lock() calls, with the hold and unlock that follow a success): ")
        .append(attempts).append('\n');
    s.append("of which acquired (then released, lost to a stall, kept alive, or crashed): ").append(acquisitions)
        .append('\n');
    s.append("S3 requests: ").append(requests).append('\n');
    s.append("holders crashed: ").append(crashes).append(", longest wait past lockUntil before the next holder: ")
        .append(Checker.ms(recovery)).append('\n');
    s.append("faults injected: ").append(faults).append(" (total ")
        .append(faults.values().stream().mapToLong(Long::longValue).sum()).append(")\n");
    s.append("  wall-clock steps: ").append(steps - stepsInClientTime)
        .append(" in server time (1-10 s either way), ").append(stepsInClientTime)
        .append(" in client time (kept within the clock bound)\n");
    s.append("late-landing writes: ").append(figures.lateWrites()).append(" landed, ")
        .append(figures.lateAfterReturn()).append(" of them after their call had returned (not judged by (d));")
        .append(" those kept a lock from everyone ").append(figures.lateStranded()).append(" times, for ")
        .append(Checker.ms(figures.lateStrandedNanos())).append(" in all, longest ")
        .append(Checker.ms(figures.longestLateStrandedNanos())).append('\n');
    s.append("lock objects deleted by the operator: ").append(figures.deletions()).append(", ")
        .append(figures.deletedUnderHolder()).append(" of them under a working holder (its holding judged by (a)")
        .append(" up to the deletion); re-created within the token window (exempt from (b)): ")
        .append(figures.recreatedInWindow()).append('\n');
    s.append("keep-alive extensions: ").append(figures.keepAliveExtends()).append(", keep-alives that ended")
        .append(" (lease gone, lost, or interrupted; judged by (f)): ").append(figures.keepAliveEnded()).append('\n');
    s.append("calls interrupted (before or in flight): ").append(figures.interruptedCalls()).append('\n');
    s.append("exceptions seen by callers: ").append(exceptions).append('\n');
    s.append("attempts on a free lock answered \"not acquired\" while the store failed them: ")
        .append(freeButNotAcquired).append('\n');
    s.append("violations: ").append(violations).append(" ").append(byCondition).append('\n');
    examples.values().forEach(some -> some.forEach(e -> s.append("  ").append(e).append('\n')));
    s.append(String.format("wall time: %.1f s%n", elapsedNanos / 1e9));
    return s.toString();
  }
}
