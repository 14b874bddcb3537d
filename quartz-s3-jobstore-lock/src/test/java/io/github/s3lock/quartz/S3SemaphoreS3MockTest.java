package io.github.s3lock.quartz;

import io.github.s3lock.testing.TestStore;

class S3SemaphoreS3MockTest extends AbstractS3SemaphoreContractTest {
  @Override
  TestStore store() {
    return TestStore.embedded();
  }
}
