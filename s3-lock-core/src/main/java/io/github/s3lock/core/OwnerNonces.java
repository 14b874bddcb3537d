package io.github.s3lock.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A bounded, thread-safe set of owner nonces, forgetting the oldest first. Both users keep nonces only as a
 * shortcut (an orphan taken over at once, an extend that writes although the lease looks run out); forgetting one
 * costs time, never safety, so a small bound keeps a client's memory flat whatever it does.
 */
final class OwnerNonces {

  /** How many nonces each set keeps. */
  static final int MAX = 256;

  private final Set<String> nonces = Collections.synchronizedSet(Collections.newSetFromMap(
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > MAX;
        }
      }));

  void add(String owner) {
    nonces.add(owner);
  }

  void remove(String owner) {
    nonces.remove(owner);
  }

  boolean contains(String owner) {
    return nonces.contains(owner);
  }
}
