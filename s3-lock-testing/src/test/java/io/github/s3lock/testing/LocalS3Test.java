package io.github.s3lock.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The launcher as a user meets it: what it prints, and that a client built from the printed settings works. */
class LocalS3Test {

  @Test
  void printsSettingsThatReachItsBucketWhereOneConditionalCreateWins() throws Exception {
    try (LocalS3 local = LocalS3.start(0, "try-it")) {
      List<String> printed = local.settings();
      String endpoint = local.endpoint().toString();
      assertThat(endpoint).matches("http://127\\.0\\.0\\.1:\\d+");
      assertThat(printed.get(0)).isEqualTo("Local S3 (Adobe S3Mock, serialized to one worker thread) at " + endpoint
          + ", bucket 'try-it' created.");
      assertThat(String.join("\n", printed))
          .contains("NOT for production: its conditional writes are atomic only because it runs\none worker thread")
          .contains("accepts any credentials");

      Properties settings = properties(printed);
      assertThat(settings).containsEntry("s3lock.bucket", "try-it").containsEntry("s3lock.endpoint", endpoint)
          .containsEntry("s3lock.path-style", "true")
          .containsEntry("org.quartz.jobStore.lockHandler.class", "io.github.s3lock.quartz.S3Semaphore")
          .containsEntry("org.quartz.jobStore.lockHandler.bucket", "try-it")
          .containsEntry("org.quartz.jobStore.lockHandler.endpoint", endpoint)
          .containsEntry("org.quartz.jobStore.lockHandler.region", settings.getProperty("s3lock.region"))
          .containsEntry("org.quartz.jobStore.lockHandler.pathStyleAccess", "true");
      Map<String, String> env = exported(printed);
      assertThat(env).containsOnlyKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION");
      List<String> cli = Arrays.asList(line(printed, "s3-lock list ").split(" "));
      assertThat(cli).containsSubsequence("--bucket", "try-it").containsSubsequence("--endpoint", endpoint)
          .containsSubsequence("--region", env.get("AWS_REGION")).contains("--path-style");

      // A client built from nothing but the printed settings: 8 racing creates of one key, one winner.
      try (S3Client s3 = S3Client.builder()
          .endpointOverride(URI.create(settings.getProperty("s3lock.endpoint")))
          .region(Region.of(settings.getProperty("s3lock.region")))
          .forcePathStyle(Boolean.parseBoolean(settings.getProperty("s3lock.path-style")))
          .credentialsProvider(StaticCredentialsProvider.create(
              AwsBasicCredentials.create(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"))))
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
          .build()) {
        assertThat(racingCreates(s3, settings.getProperty("s3lock.bucket"), 8)).containsExactly(200, 412, 412, 412,
            412, 412, 412, 412);
      }
    }
  }

  /** The status of each of {@code n} simultaneous {@code PUT If-None-Match: *} of one key, sorted. */
  private static List<Integer> racingCreates(S3Client s3, String bucket, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String body = "writer " + i;
        answers.add(pool.submit(() -> {
          go.await();
          try {
            return s3.putObject(b -> b.bucket(bucket).key("race").ifNoneMatch("*"), RequestBody.fromString(body))
                .sdkHttpResponse().statusCode();
          } catch (S3Exception e) {
            return e.statusCode();
          }
        }));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> answer : answers) {
        statuses.add(answer.get());
      }
      return statuses.stream().sorted().collect(Collectors.toList());
    } finally {
      pool.shutdownNow();
    }
  }

  private static Properties properties(List<String> printed) throws IOException {
    Properties properties = new Properties();
    String block = printed.stream().filter(l -> l.startsWith("s3lock.") || l.startsWith("org.quartz."))
        .collect(Collectors.joining("\n"));
    properties.load(new StringReader(block));
    return properties;
  }

  private static Map<String, String> exported(List<String> printed) {
    Map<String, String> env = new HashMap<>();
    for (String assignment : line(printed, "export ").substring("export ".length()).split(" ")) {
      String[] kv = assignment.split("=", 2);
      env.put(kv[0], kv[1]);
    }
    return env;
  }

  private static String line(List<String> printed, String start) {
    return printed.stream().filter(l -> l.startsWith(start)).findFirst().orElseThrow();
  }
}
