package io.github.s3lock.quartz;

import io.github.s3lock.testing.TestStore;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
class S3SemaphoreRadosgwTest extends AbstractS3SemaphoreContractTest {
  @Override
  TestStore store() {
    return TestStore.fromEnvironment(TestStore.RADOSGW);
  }
}
