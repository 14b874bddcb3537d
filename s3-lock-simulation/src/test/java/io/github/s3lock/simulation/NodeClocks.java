package io.github.s3lock.simulation;

import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * ShedLock's clock ({@code ClockProvider}) is global to the JVM, but every simulated node has its own. Each node
 * runs on its own thread, so this clock answers with the clock of the node whose thread asks; ShedLock's
 * lockAtMostUntil, extensions and {@code S3LockProvider}'s default clock then all agree with the node's clock.
 */
final class NodeClocks extends Clock {

  private static final ThreadLocal<InstantSource> NODE = new ThreadLocal<>();

  private final Timeline ground;

  NodeClocks(Timeline ground) {
    this.ground = ground;
  }

  /** Makes {@code clock} the clock of the calling thread's node. */
  static void bind(InstantSource clock) {
    NODE.set(clock);
  }

  @Override
  public Instant instant() {
    InstantSource node = NODE.get();
    return node == null ? ground.instant() : node.instant();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
