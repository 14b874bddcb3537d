package io.github.s3lock.simulation;

import io.github.s3lock.testing.TestStore;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/** The HTTP fault suite against Ceph radosgw ({@code eval "$(scripts/radosgw.sh env)"}). */
@EnabledIfEnvironmentVariable(named = "S3LOCK_RADOSGW_ENDPOINT", matches = ".+")
class FaultsOverHttpRadosgwTest extends AbstractFaultsOverHttpTest {

  @Override
  protected TestStore store() {
    return TestStore.fromEnvironment(TestStore.RADOSGW);
  }
}
