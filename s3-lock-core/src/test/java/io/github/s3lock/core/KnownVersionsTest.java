package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.s3lock.core.KnownVersions.Version;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KnownVersionsTest {

  private static Version version(long token, long revision) {
    Instant t = Instant.parse("2030-01-01T00:00:00Z");
    return new Version(new LockRecord("job", t, t, "node", "owner-" + token, token, revision), "etag-" + token + "-"
        + revision, false);
  }

  @Test
  void anEarlierWriteOfTheSameAcquisitionNeverReplacesALaterOne() {
    KnownVersions known = new KnownVersions(10);
    known.update("k", version(5, 3));
    known.update("k", version(5, 2)); // a thread that read before another thread's write finished
    assertThat(known.get("k").etag()).isEqualTo("etag-5-3");
    known.update("k", version(5, 4));
    assertThat(known.get("k").etag()).isEqualTo("etag-5-4");
    known.update("k", version(6, 1)); // taken over
    assertThat(known.get("k").etag()).isEqualTo("etag-6-1");
    // Re-created after a deletion within the clock window: a smaller token, yet the newer version. The last
    // answer from S3 wins between acquisitions (refusing it kept a node believing it held the lock).
    known.update("k", version(4, 1));
    assertThat(known.get("k").etag()).isEqualTo("etag-4-1");
    known.update("k", null); // read as missing
    assertThat(known.get("k")).isNull();
  }

  @Test
  void keepsAtMostItsCapacityDroppingTheLeastRecentlyUsed() {
    KnownVersions known = new KnownVersions(100);
    for (int i = 0; i < 10_000; i++) {
      known.update("lock-" + i, version(1, 1));
      known.get("lock-0"); // in use all along
    }
    assertThat(known.size()).isEqualTo(100);
    assertThat(known.get("lock-0")).isNotNull();
    assertThat(known.get("lock-1")).isNull();
    assertThat(known.get("lock-9999")).isNotNull();
  }
}
