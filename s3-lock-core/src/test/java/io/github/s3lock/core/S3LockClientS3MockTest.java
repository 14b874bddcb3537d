package io.github.s3lock.core;

import io.github.s3lock.testing.TestStore;

class S3LockClientS3MockTest extends AbstractS3LockClientContractTest {

  @Override
  protected TestStore store() {
    return TestStore.embedded();
  }

  @Override
  protected StoreDialect expectedDialect() {
    return StoreDialect.AWS;
  }
}
