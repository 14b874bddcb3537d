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
 * the simulation (quoted with its seed and the commit it ran on) rebuilt as a minimal history, so that the checker
 * keeps catching it after the fix made it disappear from the runs; and next to it the legitimate case that must
 * pass. Client time, clock bound 250 ms, one lock.
 */
class CheckerTest {

  private static final String LOCK = "job-1";
  private static final long BOUND = Timeline.millis(250);

  private final ManualTime time = new ManualTime();
  private final History history = new History(time);
  private final List<InMemoryS3.AppliedWrite> writes = new ArrayList<>();

  /**
   * Late-landing writes. Old code (640af59, ScratchTest-style run: client time, 3 locks, seed 1, 10% of writes
   * landing late, no other hazards): "(d) ACQUIRE#5160(node 0, job-1, 1342.626s..1344.713s -> NEGATIVE) reported
   * failure, but its own write (token 448) was applied and is still current: a stranded lock". Its first write
   * landed after its read-back; its next write met it (412), and the old code did not recognise its own nonce in
   * a record that differed from the one just sent.
   */
  @Test
  void aLateWriteThatItsCallDidNotRecogniseIsAStrandedLock() {
    Call acquire = begin(0, Kind.ACQUIRE, 1.0);
    write(InMemoryS3.WriteKind.LATE_PUT, 3.0, acquire, "a", 448, 10.0);
    end(acquire, 3.5, Outcome.NEGATIVE);

    assertThat(reported("late-landing write", check())).singleElement().asString().startsWith("(d)")
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
   * Deleted lock objects and cold nodes. Old code (640af59, main runs, base seed 20261203, run seed
   * -7757783417717180964, client time): "(b) fencing token of 'job-1' did not grow across a deletion: acquisition
   * at 1474.767s (ACQUIRE#6371(node 1, ...)) got token 1 after token 431; the object was deleted at 1473.971s, its
   * last acquisition was at 1456.135s": a restarted node started again from 1.
   */
  @Test
  void aColdNodeThatStartsTokensAgainAfterADeletionBreaksFencing() {
    acquired(0, 10.0, "a", 431, 20.0);
    delete(25.0);
    acquired(1, 30.0, "b", 1, 40.0);

    assertThat(reported("cold node after a deletion", check())).singleElement().asString().startsWith("(b)")
        .contains("across a deletion");
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

    assertThat(reported("holders of a lock nobody deleted", check())).singleElement().asString()
        .startsWith("(a) two holders");
  }

  /**
   * Throwing listeners. Old code (640af59, main runs, run seed -7757783417717180964, client time): "(e)
   * ACQUIRE#13(node 1, job-0, ...) threw the listener's exception" and "(d) ACQUIRE#1297(node 3, job-2, 310.232s..
   * 310.260s -> THREW ...ListenerFailure: simulated: the listener failed in attempted(job-2, ACQUIRED)) threw, but
   * its own write (token 91) was applied and is still current, held until 315.451s: a stranded lock".
   */
  @Test
  void aListenerExceptionThatEscapesAndStrandsTheLockIsCaughtTwice() {
    Call acquire = begin(1, Kind.ACQUIRE, 1.0);
    write(InMemoryS3.WriteKind.PUT, 1.01, acquire, "a", 91, 6.0);
    time.at(1.02);
    history.threw(acquire, new ListenerFailure("attempted(job-1, ACQUIRED)"));

    assertThat(reported("listener exception escapes", check())).hasSize(2)
        .anyMatch(v -> v.startsWith("(e)") && v.contains("listener's exception"))
        .anyMatch(v -> v.startsWith("(d)") && v.contains("stranded lock"));
  }

  /**
   * Interrupts. Old code (640af59, main runs, run seed -7757783417717180964, client time): "(d) RELEASE#974(node 0,
   * job-2, 226.673s..226.673s -> THREW ...LockException: Interrupted during PUT s3://sim-bucket/locks/job-2; ...)
   * wrote nothing, without a store fault: the lock stays held by its holder until 229.151s".
   */
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

    assertThat(reported("interrupted release", check())).singleElement().asString().startsWith("(d)")
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

    assertThat(reported("interrupt flag cleared", check())).singleElement().asString().startsWith("(e)")
        .contains("flag cleared");
  }

  /**
   * Keep-alive. Old provider (640af59, negative control 5 of SimulationTest, base seed 20261203): "(f)
   * EXTEND(keep-alive)#616(node 1, job-0, 162.066s..162.180s -> THREW ...S3LockException: GET
   * s3://sim-bucket/locks/job-0 kept failing (503 SlowDown) after the SDK's retries ...) gave up while its lease
   * was still valid (until 164.238s) and nobody else had written the object".
   */
  @Test
  void aKeepAliveThatGivesUpWhileItsLeaseIsValidIsCaught() {
    Holding holding = history.holding(acquired(1, 1.0, "a", 7, 10.0));
    keepAliveThrew(holding, 5.0);

    assertThat(reported("keep-alive gives up", check())).singleElement().asString().startsWith("(f)");
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

  /** Puts what the checker said about a negative control into the report; returns its violations. */
  private static List<String> reported(String control, Checker.Verdict verdict) {
    Report.section("negative control 6 (hand-made history) " + control,
        verdict.violations().isEmpty() ? "nothing found" : String.join("\n", verdict.violations()));
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
