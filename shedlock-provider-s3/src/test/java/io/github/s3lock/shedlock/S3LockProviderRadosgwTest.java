package io.github.s3lock.shedlock;

import io.github.s3lock.testing.TestStore;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The contract on Ceph radosgw ({@code scripts/radosgw.sh start}; CI starts it): unquoted If-Match dialect. */
@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
class S3LockProviderRadosgwTest extends AbstractS3LockProviderContractTest {

  @Override
  protected TestStore store() {
    return TestStore.fromEnvironment(TestStore.RADOSGW);
  }
}
