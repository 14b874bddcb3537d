package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

class KeyLayoutTest {

  private final KeyLayout layout = new KeyLayout("locks/");

  @Test
  void keepsCommonNamesReadable() {
    assertThat(layout.keyFor("report.daily-v2_x")).isEqualTo("locks/report.daily-v2_x");
  }

  @Test
  void encodesEverythingThatCouldLeaveThePrefix() {
    assertThat(layout.keyFor("..")).isEqualTo("locks/%2E.");
    assertThat(layout.keyFor(".")).isEqualTo("locks/%2E");
    assertThat(layout.keyFor("../../etc/passwd")).isEqualTo("locks/%2E.%2F..%2Fetc%2Fpasswd");
    assertThat(layout.keyFor("a/b")).isEqualTo("locks/a%2Fb");
    assertThat(layout.keyFor("a b%")).isEqualTo("locks/a%20b%25");
    assertThat(layout.keyFor("ünï")).isEqualTo("locks/%C3%BCn%C3%AF");
  }

  @Test
  void noNameReachesOutsideThePrefixOrCollidesWithReservedKeys() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String alphabet = "./\\%-_ aZ9ü€\u0000\n";
    for (int i = 0; i < 10_000; i++) {
      StringBuilder name = new StringBuilder();
      int length = 1 + random.nextInt(12);
      for (int j = 0; j < length; j++) {
        name.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String suffix = layout.keyFor(name.toString()).substring("locks/".length());
      assertThat(suffix).as("seed %d, name %s", seed, name)
          .doesNotContain("/").isNotIn(".", "..").doesNotStartWith(".")
          .matches("[A-Za-z0-9._%-]+");
    }
    assertThat(layout.reservedKey("probe")).startsWith("locks/.");
  }

  @Test
  void prefixSegmentsAreEncodedAsNamesAreAndEachEndsWithASlash() {
    assertThat(KeyLayout.segment(".hidden")).isEqualTo("%2Ehidden");
    try (S3Client s3 = S3Client.builder().region(Region.US_EAST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create()).build()) {
      S3LockClient client = S3LockClient.builder().s3Client(s3).bucket("b").probe(false)
          .keyPrefix("quartz-locks/", "billing.eu/../x", "QRTZ_").build();
      assertThat(client.keyPrefix()).isEqualTo("quartz-locks/billing.eu%2F..%2Fx/QRTZ_/");
    }
    assertThatThrownBy(() -> S3LockClient.builder().keyPrefix("p/", "")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key prefix segment must not be empty");
  }

  @Test
  void distinctNamesGetDistinctKeys() {
    assertThat(layout.keyFor("a/b")).isNotEqualTo(layout.keyFor("a%2Fb"));
    assertThat(layout.keyFor("é")).isNotEqualTo(layout.keyFor("e\u0301"));
  }

  @Test
  void rejectsEmptyNames() {
    assertThatThrownBy(() -> layout.keyFor("")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> layout.keyFor(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsNamesWhoseKeyExceedsS3sLimitAndSaysSo() {
    String fits = "x".repeat(KeyLayout.MAX_KEY_BYTES - "locks/".length());
    assertThat(layout.keyFor(fits).getBytes(StandardCharsets.UTF_8)).hasSize(KeyLayout.MAX_KEY_BYTES);
    assertThatThrownBy(() -> layout.keyFor(fits + "x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1025 bytes").hasMessageContaining("1024");
    assertThatThrownBy(() -> new KeyLayout("").keyFor("y".repeat(1025)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long");
  }

  @Test
  void rejectsAPrefixThatLeavesNoRoomForNames() {
    assertThatThrownBy(() -> new KeyLayout("p".repeat(600))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keyPrefix");
  }

  @Test
  void rejectsNamesWithLoneSurrogatesWhichWouldShareOneKey() {
    KeyLayout layout = new KeyLayout("locks/");
    // Both encode to the same bytes ("?") if the lone surrogates are let through.
    assertThatThrownBy(() -> layout.keyFor("job-\uD800")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate").hasMessageContaining("index 4");
    assertThatThrownBy(() -> layout.keyFor("\uDC00-job")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
    assertThat(layout.keyFor("job-\uD83D\uDE00")).isEqualTo("locks/job-%F0%9F%98%80");
  }
}
