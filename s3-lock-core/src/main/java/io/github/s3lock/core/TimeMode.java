package io.github.s3lock.core;

/** Whose clock decides when a lock expires. */
public enum TimeMode {
  /**
   * The local clock (the default, as in ShedLock): precise to the millisecond, but every node's clock must be
   * in sync to well within the shortest lock time.
   */
  CLIENT,
  /**
   * The store's clock, learned from the {@code Date} header of its responses: nodes need no clock sync. {@code Date}
   * has one-second resolution and arrives a round trip late, so expiry is judged by the bounds this allows: locks
   * change hands about 1 s plus one round trip after their {@code lockUntil}.
   */
  SERVER
}
