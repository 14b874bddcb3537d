package io.github.s3lock.core;

import io.github.s3lock.testing.TestStore;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
class S3LockClientRadosgwTest extends AbstractS3LockClientContractTest {

  @Override
  protected TestStore store() {
    return TestStore.fromEnvironment(TestStore.RADOSGW);
  }

  @Override
  protected StoreDialect expectedDialect() {
    return StoreDialect.RADOSGW_16;
  }
}
