package io.github.s3lock.simulation;

import io.github.s3lock.core.LockListener;
import java.time.Duration;
import java.util.Random;

/**
 * A {@link LockListener} with a bug: each of its calls throws a {@link ListenerFailure} with probability
 * {@code rate} (a metrics registry that fails, a null label). The client must isolate it: a callback never
 * changes the outcome of a lock call. Runs on the node's thread, so its draws are part of the seeded run.
 */
final class FailingListener implements LockListener {

  private final Random random;
  private final double rate;
  private final FaultPlan faults;

  FailingListener(Random random, double rate, FaultPlan faults) {
    this.random = random;
    this.rate = rate;
    this.faults = faults;
  }

  @Override
  public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
    maybeFail("attempted(" + lockName + ", " + outcome + ")");
  }

  @Override
  public void requestCompleted(Request request, int status) {
    maybeFail("requestCompleted(" + request + ", " + status + ")");
  }

  @Override
  public void released(String lockName, Duration heldFor) {
    maybeFail("released(" + lockName + ")");
  }

  @Override
  public void leaseLost(String lockName) {
    maybeFail("leaseLost(" + lockName + ")");
  }

  private void maybeFail(String call) {
    if (rate > 0 && random.nextDouble() < rate) {
      faults.record(Fault.LISTENER_THREW);
      throw new ListenerFailure(call);
    }
  }
}
