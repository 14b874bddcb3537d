package io.github.s3lock.core;

import java.nio.charset.StandardCharsets;

/**
 * Maps lock names to object keys: {@code keyPrefix + encoded(name)}.
 *
 * <p>Encoding: ASCII letters, digits, {@code -}, {@code _} and {@code .} stay as they are; every other UTF-8
 * byte becomes {@code %XX}, and so does a leading {@code .}. So a name is always one key segment (no
 * {@code /}), never {@code .} or {@code ..}, and no name can reach outside the prefix, whatever it contains.
 * Keys under the prefix that start with {@code .} are therefore free for s3-lock's own objects (the
 * conformance probe).
 */
final class KeyLayout {

  /** S3's limit on an object key, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 1024;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private final String prefix;
  private final int prefixBytes;

  KeyLayout(String prefix) {
    this.prefix = prefix;
    this.prefixBytes = prefix.getBytes(StandardCharsets.UTF_8).length;
    if (prefixBytes > MAX_KEY_BYTES / 2) {
      throw new IllegalArgumentException("keyPrefix is " + prefixBytes + " bytes; keep it under "
          + MAX_KEY_BYTES / 2 + " bytes so that lock names fit in S3's " + MAX_KEY_BYTES + "-byte key limit");
    }
  }

  String prefix() {
    return prefix;
  }

  String keyFor(String name) {
    String key = prefix + encode(name, "lock name");
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("lock name is too long: its object key '" + key.substring(0, 64)
          + "...' would be " + bytes + " bytes, over S3's limit of " + MAX_KEY_BYTES
          + " bytes; use a shorter name (non-ASCII characters take 3-12 bytes each once encoded)");
    }
    return key;
  }

  /** A key for s3-lock's own objects: can never equal the key of a lock name. */
  String reservedKey(String suffix) {
    return prefix + ".s3-lock-" + suffix;
  }

  /** One segment of a key prefix, encoded as a lock name is (the Quartz adapter's scheduler name, say). */
  static String segment(String value) {
    return encode(value, "key prefix segment");
  }

  /**
   * The one encoder of names into key segments.
   *
   * @param what what the value is, for the message of a rejection
   */
  static String encode(String name, String what) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < name.length()
          && Character.isLowSurrogate(name.charAt(i + 1));
      if (pair) {
        i++;
      } else if (Character.isSurrogate(c)) {
        // UTF-8 cannot encode a lone surrogate: Java writes '?', so two different names would share one key.
        throw new IllegalArgumentException(what + " is not valid UTF-16: it has an unpaired surrogate (\\u"
            + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT) + ") at index " + i
            + "; use a name made of whole characters");
      }
    }
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
          || b == '-' || b == '_' || (b == '.' && i > 0);
      if (plain) {
        out.append((char) b);
      } else {
        out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
      }
    }
    return out.toString();
  }
}
