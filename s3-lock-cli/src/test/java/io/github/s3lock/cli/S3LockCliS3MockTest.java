package io.github.s3lock.cli;

import io.github.s3lock.testing.TestStore;

/** The CLI against the embedded, serialized S3Mock, whose dummy credentials are test/test. */
class S3LockCliS3MockTest extends AbstractS3LockCliTest {

  @Override
  protected TestStore store() {
    return TestStore.embedded();
  }

  @Override
  protected String accessKeyId() {
    return "test";
  }

  @Override
  protected String secretAccessKey() {
    return "test";
  }
}
