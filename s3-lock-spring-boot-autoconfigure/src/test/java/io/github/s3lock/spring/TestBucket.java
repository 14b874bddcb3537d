package io.github.s3lock.spring;

import io.github.s3lock.testing.TestStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.services.s3.S3Client;

/** A bucket of its own on the embedded S3 for one test class, and the {@code s3lock.*} properties that find it. */
final class TestBucket implements BeforeAllCallback, AfterAllCallback {

  final TestStore store = TestStore.embedded();
  private S3Client s3;
  private String name;

  @Override
  public void beforeAll(ExtensionContext context) {
    s3 = store.newClient();
    name = store.newBucket(s3);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    s3.close();
  }

  /** A client of the test's own, for reading what the application wrote. */
  S3Client s3() {
    return s3;
  }

  String name() {
    return name;
  }

  /** Bucket, endpoint, region and path style; the key prefix too when not null. */
  String[] properties(String keyPrefix) {
    List<String> properties = new ArrayList<>(List.of("s3lock.bucket=" + name,
        "s3lock.endpoint=" + store.endpoint().orElseThrow(), "s3lock.region=" + store.region().id(),
        "s3lock.path-style=" + store.pathStyle()));
    if (keyPrefix != null) {
      properties.add("s3lock.key-prefix=" + keyPrefix);
    }
    return properties.toArray(String[]::new);
  }
}
