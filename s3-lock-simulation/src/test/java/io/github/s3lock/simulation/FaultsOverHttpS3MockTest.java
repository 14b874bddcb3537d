package io.github.s3lock.simulation;

import io.github.s3lock.testing.TestStore;

/** The HTTP fault suite against the embedded, serialized S3Mock. */
class FaultsOverHttpS3MockTest extends AbstractFaultsOverHttpTest {

  @Override
  protected TestStore store() {
    return TestStore.embedded();
  }
}
