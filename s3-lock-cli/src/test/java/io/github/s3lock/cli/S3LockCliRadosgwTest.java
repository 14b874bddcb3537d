package io.github.s3lock.cli;

import io.github.s3lock.testing.TestStore;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The CLI against Ceph radosgw ({@code scripts/radosgw.sh start}; CI starts it): the unquoted If-Match dialect. */
@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
class S3LockCliRadosgwTest extends AbstractS3LockCliTest {

  @Override
  protected TestStore store() {
    return TestStore.fromEnvironment(TestStore.RADOSGW);
  }

  @Override
  protected String accessKeyId() {
    return System.getenv(TestStore.RADOSGW + "_ACCESS_KEY_ID");
  }

  @Override
  protected String secretAccessKey() {
    return System.getenv(TestStore.RADOSGW + "_SECRET_ACCESS_KEY");
  }
}
