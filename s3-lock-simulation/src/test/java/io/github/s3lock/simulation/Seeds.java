package io.github.s3lock.simulation;

import java.util.Random;

/**
 * The base seed of a randomized suite: {@code -Dseed=<n>} if given; else a random one under the Maven profile
 * {@code simulation-random} (which sets {@code simulation.randomSeeds}); else a fixed one, so that CI runs the
 * same cases every time. Every suite prints the seed it used.
 */
final class Seeds {

  /** The seed of CI runs. */
  static final long FIXED = 20_261_203L;

  private Seeds() {}

  static long base() {
    Long given = Long.getLong("seed");
    if (given != null) {
      return given;
    }
    return Boolean.getBoolean("simulation.randomSeeds") ? new Random().nextLong() : FIXED;
  }
}
