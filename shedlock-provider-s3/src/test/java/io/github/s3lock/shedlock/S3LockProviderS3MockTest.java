package io.github.s3lock.shedlock;

import io.github.s3lock.testing.TestStore;

/** The contract on the embedded S3Mock, serialized to one worker thread so that its conditional writes are atomic. */
class S3LockProviderS3MockTest extends AbstractS3LockProviderContractTest {

  @Override
  protected TestStore store() {
    return TestStore.embedded();
  }
}
