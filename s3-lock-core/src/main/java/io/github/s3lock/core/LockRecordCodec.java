package io.github.s3lock.core;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads and writes {@link LockRecord} bodies: one flat JSON object of strings and integers. Small enough to
 * own (the SDK's JSON classes are not public API, and a JSON library would be the core's only other
 * dependency). Anything that is not a format-1 record is refused with {@link S3LockException.Kind#CORRUPT_RECORD},
 * never guessed at: a lock we cannot read is a lock we must not take.
 */
final class LockRecordCodec {

  /** Far above any real record (about 250 bytes); a larger object is not ours. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  private LockRecordCodec() {}

  static byte[] encode(LockRecord r) {
    StringBuilder json = new StringBuilder(256).append('{');
    json.append("\"format\":").append(LockRecord.FORMAT);
    appendString(json.append(",\"name\":"), r.name());
    json.append(",\"lockUntil\":").append(r.lockUntil().toEpochMilli());
    json.append(",\"lockedAt\":").append(r.lockedAt().toEpochMilli());
    appendString(json.append(",\"lockedBy\":"), r.lockedBy());
    appendString(json.append(",\"owner\":"), r.owner());
    json.append(",\"token\":").append(r.token());
    json.append(",\"revision\":").append(r.revision());
    return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @throws IllegalArgumentException with a message saying what is wrong; callers add the key
   */
  static LockRecord decode(byte[] body) {
    if (body.length > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("body of " + body.length + " bytes is not a lock record");
    }
    Map<String, Object> fields = new Parser(new String(body, StandardCharsets.UTF_8)).object();
    Object format = fields.get("format");
    if (!(format instanceof Long f)) {
      throw new IllegalArgumentException("no \"format\" field: not an s3-lock record");
    }
    if (f != LockRecord.FORMAT) {
      throw new IllegalArgumentException("record format " + f + " is not supported by this version (reads format "
          + LockRecord.FORMAT + "); upgrade s3-lock on every node");
    }
    return new LockRecord(
        string(fields, "name"),
        Instant.ofEpochMilli(number(fields, "lockUntil")),
        Instant.ofEpochMilli(number(fields, "lockedAt")),
        string(fields, "lockedBy"),
        string(fields, "owner"),
        number(fields, "token"),
        number(fields, "revision"));
  }

  private static String string(Map<String, Object> fields, String name) {
    if (fields.get(name) instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException("field \"" + name + "\" is missing or not a string");
  }

  private static long number(Map<String, Object> fields, String name) {
    if (fields.get(name) instanceof Long n) {
      return n;
    }
    throw new IllegalArgumentException("field \"" + name + "\" is missing or not an integer");
  }

  private static void appendString(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }

  /** A strict parser for one flat object whose values are strings, integers, booleans or null. */
  private static final class Parser {
    private final String text;
    private int pos;

    Parser(String text) {
      this.text = text;
    }

    Map<String, Object> object() {
      Map<String, Object> fields = new HashMap<>();
      skipSpace();
      expect('{');
      skipSpace();
      if (peek() == '}') {
        pos++;
      } else {
        while (true) {
          skipSpace();
          String key = string();
          skipSpace();
          expect(':');
          skipSpace();
          if (fields.put(key, value()) != null) {
            throw error("duplicate field \"" + key + "\"");
          }
          skipSpace();
          char c = next();
          if (c == '}') {
            break;
          }
          if (c != ',') {
            throw error("expected ',' or '}'");
          }
        }
      }
      skipSpace();
      if (pos != text.length()) {
        throw error("trailing characters");
      }
      return fields;
    }

    private Object value() {
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (c == '-' || (c >= '0' && c <= '9')) {
        return integer();
      }
      if (text.startsWith("true", pos)) {
        pos += 4;
        return Boolean.TRUE;
      }
      if (text.startsWith("false", pos)) {
        pos += 5;
        return Boolean.FALSE;
      }
      if (text.startsWith("null", pos)) {
        pos += 4;
        return null;
      }
      throw error("unsupported value");
    }

    private Long integer() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
        pos++;
      }
      if (pos < text.length() && ".eE".indexOf(text.charAt(pos)) >= 0) {
        throw error("only integers are expected");
      }
      try {
        return Long.parseLong(text.substring(start, pos));
      } catch (NumberFormatException e) {
        throw error("bad integer");
      }
    }

    private String string() {
      expect('"');
      StringBuilder s = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return s.toString();
        }
        if (c < 0x20) {
          throw error("control character in string");
        }
        if (c != '\\') {
          s.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> s.append(e);
          case 'b' -> s.append('\b');
          case 'f' -> s.append('\f');
          case 'n' -> s.append('\n');
          case 'r' -> s.append('\r');
          case 't' -> s.append('\t');
          case 'u' -> {
            if (pos + 4 > text.length()) {
              throw error("truncated \\u escape");
            }
            try {
              s.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw error("bad \\u escape");
            }
            pos += 4;
          }
          default -> throw error("bad escape");
        }
      }
    }

    private void skipSpace() {
      while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
        pos++;
      }
    }

    private char peek() {
      if (pos >= text.length()) {
        throw error("unexpected end");
      }
      return text.charAt(pos);
    }

    private char next() {
      char c = peek();
      pos++;
      return c;
    }

    private void expect(char c) {
      if (next() != c) {
        pos--;
        throw error("expected '" + c + "'");
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("not a lock record: " + what + " at offset " + pos);
    }
  }
}
