package io.github.s3lock.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.core.CoreTestHooks;
import io.github.s3lock.core.S3LockException;
import io.github.s3lock.simulation.History.Call;
import io.github.s3lock.simulation.History.Holding;
import io.github.s3lock.simulation.History.Kind;
import io.github.s3lock.simulation.History.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The checker against small hand-made histories, one per fault class: the violation that the old code produced in
 * the simulation (quoted with the commit it ran on and the run that replays it, this module's code on that core)
 * rebuilt as a minimal history, so that the checker keeps catching it after the fix made it disappear from the
 * runs; and next to it the legitimate case that must pass. Client time, clock bound 250 ms, one lock.
 */
class CheckerTest {

  private static final String LOCK = "job-1";
  private static final long BOUND = Timeline.millis(250);

  /** What the old code did in the simulation: the commit, the run that replays it, the violation. */
  static final String OLD_LATE_LANDING =
      "core 640af59, -Dsimulation.replay=LATE_LANDING_WRITES,client,3,1: (d) ACQUIRE#5160(node 0, job-1, "
      + "1342.626s..1344.713s -> NEGATIVE) reported failure, but its own write (token 448) was applied and is "
      + "still current: a stranded lock";

  static final String OLD_DELETION =
      "core 640af59, -Dsimulation.replay=DELETED_OBJECTS,server,3,-5486670400631094880: (b) fencing token of "
      + "'job-1' did not grow across a deletion: acquisition at 30.518s (ACQUIRE#146(node 1, job-1, "
      + "30.516s..30.522s -> SUCCESS)) got token 1 after token 8; the object was deleted at 29.321s, its last "
      + "acquisition was at 26.156s";

  static final String OLD_LISTENER =
      "core 640af59, -Dsimulation.replay=MAIN,client,3,-7757783417717180964: (d) ACQUIRE#1297(node 3, job-2, "
      + "310.232s..310.260s -> THREW io.github.s3lock.simulation.ListenerFailure: simulated: the listener failed "
      + "in attempted(job-2, ACQUIRED)) threw, but its own write (token 91) was applied and is still current, "
      + "held until 315.451s: a stranded lock; and (e) ACQUIRE#13(node 1, job-0, 3.920s..3.949s -> THREW "
      + "...ListenerFailure ...) threw the listener's exception";

  static final String OLD_INTERRUPT =
      "core 640af59, -Dsimulation.replay=INTERRUPTS,client,3,2977067601388581247: (d) RELEASE#4996(node 1, "
      + "job-0, 1251.282s..1251.294s -> THREW io.github.s3lock.core.S3LockException: Interrupted during PUT "
      + "s3://sim-bucket/locks/job-0; if the write was applied, the lock frees itself at its lockUntil) wrote "
      + "nothing, without a store fault: the lock stays held by its holder until 1252.084s";

  static final String OLD_KEEP_ALIVE =
      "provider 640af59, -Dsimulation.replay=KEEP_ALIVE_UNDER_BURSTS,client,3,-6248184525168254787: (f) "
      + "EXTEND(keep-alive)#53(node 4, job-2, 15.202s..15.321s -> THREW "
      + "net.javacrumbs.shedlock.support.LockException: GET s3://sim-bucket/locks/job-2 kept failing (503 "
      + "SlowDown) after the SDK's retries: Please reduce your request rate.) gave up while its lease was still "
      + "valid (until 18.096s) and nobody else had written the object";

  private final ManualTime time = new ManualTime();
  private final History history = new History(time);
  private final List<InMemoryS3.AppliedWrite> writes = new ArrayList<>();

  /**
   * Late-landing writes: the old code's first write landed after its read-back; its next write met it (412), and it
   * did not recognise its own nonce in a record that differed from the one just sent. See {@link #OLD_LATE_LANDING}.
   */
  @Test
  void aLateWriteThatItsCallDidNotRecogniseIsAStrandedLock() {
    Call acquire = begin(0, Kind.ACQUIRE, 1.0);
    write(InMemoryS3.WriteKind.LATE_PUT, 3.0, acquire, "a", 448, 10.0);
    end(acquire, 3.5, Outcome.NEGATIVE);

    assertThat(reported("late-landing write", OLD_LATE_LANDING, check())).singleElement().asString().startsWith("(d)")
        .contains("stranded lock");
  }

  /** A write that lands after its call returned cannot be recognised by it: counted, with how long it kept the lock. */
  @Test
  void aLateWriteLandingAfterItsCallReturnedIsCountedNotJudged() {
    Call acquire = begin(0, Kind.ACQUIRE, 1.0);
    end(acquire, 2.5, Outcome.NEGATIVE);
    write(InMemoryS3.WriteKind.LATE_PUT, 3.0, acquire, "a", 5, 10.0);

    Checker.Verdict verdict = check(Set.of(acquire.id)); // its write timed out: a faulted call

    assertThat(verdict.violations()).isEmpty();
    assertThat(verdict.figures().lateAfterReturn()).isEqualTo(1);
    assertThat(verdict.figures().longestLateStrandedNanos()).isEqualTo(Timeline.millis(7000));
  }

  /**
   * Deleted lock objects and cold nodes: a restarted node started tokens again from 1, warm ones continued from a
   * stale cache ("got token 3 after token 4"). See {@link #OLD_DELETION}.
   */
  @Test
  void aColdNodeThatStartsTokensAgainAfterADeletionBreaksFencing() {
    acquired(0, 10.0, "a", 431, 20.0);
    delete(25.0);
    acquired(1, 30.0, "b", 1, 40.0);

    assertThat(reported("cold node after a deletion", OLD_DELETION, check())).singleElement().asString()
        .startsWith("(b)").contains("across a deletion");
  }

  /** The token rule cannot order a re-creation within the clocks' difference of the last acquisition: exempt. */
  @Test
  void aReCreationWithinTheClockWindowOfTheLastAcquisitionIsExempt() {
    acquired(0, 10.0, "a", 1_000, 20.0);
    delete(10.1);
    acquired(1, 10.4, "b", 999, 20.0); // 0.4 s after, within twice the 250 ms bound

    Checker.Verdict verdict = check();

    assertThat(verdict.violations()).isEmpty();
    assertThat(verdict.figures().recreatedInWindow()).isEqualTo(1);
  }

  /** No protocol keeps a lock whose object an operator deleted: the holder is judged up to the deletion. */
  @Test
  void aHolderWhoseObjectWasDeletedIsNoHolderFromTheDeletionOn() {
    Holding first = history.holding(acquired(0, 1.0, "a", 1, 10.0));
    delete(3.0);
    Holding second = history.holding(acquired(1, 4.0, "b", 2, 10.0));
    workEnded(second, 6.0);
    workEnded(first, 8.0);

    Checker.Verdict verdict = check();

    assertThat(verdict.violations()).isEmpty();
    assertThat(verdict.figures().deletedUnderHolder()).isEqualTo(1);
  }

  @Test
  void withoutTheDeletionTheSameHoldingsAreTwoHolders() {
    Holding first = history.holding(acquired(0, 1.0, "a", 1, 10.0));
    Holding second = history.holding(acquired(1, 4.0, "b", 2, 10.0));
    workEnded(second, 6.0);
    workEnded(first, 8.0);

    assertThat(reported("holders of a lock nobody deleted", null, check())).singleElement().asString()
        .startsWith("(a) two holders");
  }

  /** Throwing listeners: see {@link #OLD_LISTENER}. */
  @Test
  void aListenerExceptionThatEscapesAndStrandsTheLockIsCaughtTwice() {
    Call acquire = begin(1, Kind.ACQUIRE, 1.0);
    write(InMemoryS3.WriteKind.PUT, 1.01, acquire, "a", 91, 6.0);
    time.at(1.02);
    history.threw(acquire, new ListenerFailure("attempted(job-1, ACQUIRED)"));

    assertThat(reported("listener exception escapes", OLD_LISTENER, check())).hasSize(2)
        .anyMatch(v -> v.startsWith("(e)") && v.contains("listener's exception"))
        .anyMatch(v -> v.startsWith("(d)") && v.contains("stranded lock"));
  }

  /** Interrupts: a release on an interrupted thread was aborted by the SDK. See {@link #OLD_INTERRUPT}. */
  @Test
  void aReleaseOnAnInterruptedThreadThatWritesNothingLeavesTheLockHeld() {
    Holding holding = history.holding(acquired(1, 1.0, "a", 7, 10.0));
    workEnded(holding, 2.0);
    Call release = begin(1, Kind.RELEASE, 2.0);
    history.releasing(holding, release);
    history.interruptedBefore(release);
    time.at(2.0);
    history.interruptFlag(release, true);
    history.threw(release, CoreTestHooks.exception(S3LockException.Kind.INTERRUPTED, "Interrupted during PUT s3://"
        + Simulation.BUCKET + "/locks/" + LOCK));

    assertThat(reported("interrupted release", OLD_INTERRUPT, check())).singleElement().asString().startsWith("(d)")
        .contains("wrote nothing");
  }

  @Test
  void anInterruptThatDoesNotSurviveTheCallIsCaught() {
    acquired(0, 0.5, "a", 1, 10.0); // held by another: "not acquired" is right
    Call acquire = begin(1, Kind.ACQUIRE, 1.0);
    history.interruptedBefore(acquire);
    time.at(1.1);
    history.interruptFlag(acquire, false);
    history.end(acquire, Outcome.NEGATIVE);

    assertThat(reported("interrupt flag cleared", null, check())).singleElement().asString().startsWith("(e)")
        .contains("flag cleared");
  }

  /** Keep-alive: the old provider threw after three failed writes. See {@link #OLD_KEEP_ALIVE}. */
  @Test
  void aKeepAliveThatGivesUpWhileItsLeaseIsValidIsCaught() {
    Holding holding = history.holding(acquired(1, 1.0, "a", 7, 10.0));
    keepAliveThrew(holding, 5.0);

    assertThat(reported("keep-alive gives up", OLD_KEEP_ALIVE, check())).singleElement().asString().startsWith("(f)");
  }

  @Test
  void aKeepAliveMayGiveUpOnceItsLeaseIsGone() {
    Holding holding = history.holding(acquired(1, 1.0, "a", 7, 10.0));
    keepAliveThrew(holding, 9.9); // within the 250 ms the holder's clock may be ahead

    Checker.Verdict verdict = check();

    assertThat(verdict.violations()).isEmpty();
    assertThat(verdict.figures().keepAliveEnded()).isEqualTo(1);
  }

  private void keepAliveThrew(Holding holding, double at) {
    time.at(at);
    Call extend = history.beginKeepAlive(1, LOCK);
    history.extending(holding, extend);
    time.at(at + 0.1);
    history.threw(extend, CoreTestHooks.exception(S3LockException.Kind.UNAVAILABLE, "GET s3://" + Simulation.BUCKET
        + "/locks/" + LOCK + " kept failing (503 SlowDown)"));
  }

  /** An acquire call from {@code at} to 10 ms later, its write applied in between. */
  private Call acquired(int node, double at, String owner, long token, double until) {
    Call acquire = begin(node, Kind.ACQUIRE, at);
    write(InMemoryS3.WriteKind.PUT, at + 0.005, acquire, owner, token, until);
    end(acquire, at + 0.01, Outcome.SUCCESS);
    return acquire;
  }

  private Call begin(int node, Kind kind, double at) {
    time.at(at);
    return history.begin(node, LOCK, kind);
  }

  private void end(Call call, double at, Outcome outcome) {
    time.at(at);
    history.end(call, outcome);
  }

  private void workEnded(Holding holding, double at) {
    time.at(at);
    history.workEnded(holding);
  }

  private void write(InMemoryS3.WriteKind kind, double at, Call call, String owner, long token, double until) {
    long untilMillis = Timeline.EPOCH.toEpochMilli() + (long) (until * 1000);
    String body = "{\"format\":1,\"name\":\"" + LOCK + "\",\"lockUntil\":" + untilMillis + ",\"lockedAt\":0,"
        + "\"lockedBy\":\"node\",\"owner\":\"" + owner + "\",\"token\":" + token + ",\"revision\":1}";
    writes.add(new InMemoryS3.AppliedWrite(writes.size(), seconds(at), "locks/" + LOCK, call.node, call.id,
        body.getBytes(StandardCharsets.UTF_8), "etag-" + writes.size(), kind));
  }

  private void delete(double at) {
    writes.add(new InMemoryS3.AppliedWrite(writes.size(), seconds(at), "locks/" + LOCK, InMemoryS3.OPERATOR,
        Calls.NONE, new byte[0], null, InMemoryS3.WriteKind.DELETE));
  }

  /**
   * Puts a negative control into the report: what the old code did (if quoted) and what the checker says about its
   * hand-made history. Returns the checker's violations.
   */
  private static List<String> reported(String control, String oldCode, Checker.Verdict verdict) {
    String found = verdict.violations().isEmpty() ? "nothing" : String.join("\n  ", verdict.violations());
    Report.section("negative control 6 (hand-made history) " + control,
        (oldCode == null ? "" : "old code: " + oldCode + "\n") + "checker on the history:\n  " + found);
    return verdict.violations();
  }

  private Checker.Verdict check() {
    return check(Set.of());
  }

  private Checker.Verdict check(Set<Long> faultedCalls) {
    Checker.Setup setup = new Checker.Setup(Timeline.EPOCH, false, false, BOUND, 0, Timeline.millis(8000),
        Timeline.millis(100_000), Simulation.BUCKET, node -> Set.of(S3LockException.class), faultedCalls,
        Set.of(), BOUND);
    return Checker.check(setup, history, writes);
  }

  private static long seconds(double s) {
    return (long) (s * 1e9);
  }

  /** Ground time set by hand. */
  private static final class ManualTime implements Timeline {
    private long now;

    void at(double seconds) {
      now = CheckerTest.seconds(seconds);
    }

    @Override
    public long nanos() {
      return now;
    }

    @Override
    public void sleep(long nanos) {
      now += nanos;
    }

    @Override
    public void later(String name, long delayNanos, Runnable action) {
      throw new UnsupportedOperationException("hand-made histories have no fibers");
    }
  }
}
