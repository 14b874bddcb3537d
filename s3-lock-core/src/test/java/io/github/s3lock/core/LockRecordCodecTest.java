package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LockRecordCodecTest {

  private static final LockRecord RECORD = new LockRecord("report.daily", Instant.ofEpochMilli(1_800_000_000_123L),
      Instant.ofEpochMilli(1_799_999_999_000L), "node-1", "5b0c7e52-4c8e-4bd5-9d43-9a3f5f0f3b1e", 42, 97);

  @Test
  void roundTripsARecord() {
    assertThat(LockRecordCodec.decode(LockRecordCodec.encode(RECORD))).isEqualTo(RECORD);
  }

  @Test
  void writesTheDocumentedFormat() {
    assertThat(new String(LockRecordCodec.encode(RECORD), StandardCharsets.UTF_8)).isEqualTo(
        "{\"format\":1,\"name\":\"report.daily\",\"lockUntil\":1800000000123,\"lockedAt\":1799999999000,"
            + "\"lockedBy\":\"node-1\",\"owner\":\"5b0c7e52-4c8e-4bd5-9d43-9a3f5f0f3b1e\",\"token\":42,"
            + "\"revision\":97}");
  }

  @Test
  void roundTripsAnyStringSeededRandomly() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(20);
      for (int j = 0; j < length; j++) {
        s.append((char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0xD800)));
      }
      LockRecord record = new LockRecord(s.toString(), Instant.ofEpochMilli(random.nextLong(0, Long.MAX_VALUE / 4)),
          Instant.EPOCH, s.reverse().toString(), "o", random.nextLong(), random.nextLong());
      assertThat(LockRecordCodec.decode(LockRecordCodec.encode(record))).as("seed %d", seed).isEqualTo(record);
    }
  }

  @Test
  void toleratesWhitespaceUnknownFieldsAndEscapes() {
    String json = " {\n \"format\" : 1, \"extra\": true, \"name\":\"a\\u00e9\\/b\", \"lockUntil\":5,"
        + " \"lockedAt\":4, \"lockedBy\":\"h\", \"owner\":\"o\", \"token\":1, \"revision\":2, \"note\": null } ";
    LockRecord record = LockRecordCodec.decode(json.getBytes(StandardCharsets.UTF_8));
    assertThat(record.name()).isEqualTo("aé/b");
    assertThat(record.lockUntil()).isEqualTo(Instant.ofEpochMilli(5));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "not json",
      "<Error><Code>NoSuchKey</Code></Error>",
      "{\"format\":1}",
      "{\"name\":\"a\"}",
      "{\"format\":2,\"name\":\"a\",\"lockUntil\":1,\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\",\"token\":1,\"revision\":1}",
      "{\"format\":1,\"name\":\"a\",\"lockUntil\":\"soon\",\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\",\"token\":1,\"revision\":1}",
      "{\"format\":1,\"name\":\"a\",\"lockUntil\":1.5,\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\",\"token\":1,\"revision\":1}",
      "{\"format\":1,\"name\":{\"x\":1},\"lockUntil\":1,\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\",\"token\":1,\"revision\":1}",
      "{\"format\":1,\"format\":1}",
      "{\"format\":1,\"name\":\"a\",\"lockUntil\":1,\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\",\"token\":1,\"revision\":1} x",
      "{\"format\":1,\"name\":\"a",
      "{\"format\":99999999999999999999}"})
  void refusesWhatIsNotAFormat1Record(String body) {
    assertThatThrownBy(() -> LockRecordCodec.decode(body.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageMatching(".*(not a lock record|format|field).*");
  }

  @Test
  void refusesAHugeBody() {
    byte[] huge = new byte[LockRecordCodec.MAX_BODY_BYTES + 1];
    assertThatThrownBy(() -> LockRecordCodec.decode(huge)).hasMessageContaining("not a lock record");
  }

  @Test
  void namesANewerFormatAndTheFix() {
    String json = "{\"format\":2,\"name\":\"a\",\"lockUntil\":1,\"lockedAt\":1,\"lockedBy\":\"h\",\"owner\":\"o\","
        + "\"token\":1,\"revision\":1}";
    assertThatThrownBy(() -> LockRecordCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("format 2").hasMessageContaining("upgrade");
  }
}
