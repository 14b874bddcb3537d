package io.github.s3lock.cli;

import io.github.s3lock.core.LockObject;
import io.github.s3lock.core.S3LockAdmin;
import io.github.s3lock.core.S3LockException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Where the adapters keep their locks when nobody changed their key prefix, so that an operator who does not know
 * (or did not pass) the prefix still finds every lock:
 * <ul>
 *   <li>{@code locks/}: {@code S3LockClient}'s default (the core, used directly);</li>
 *   <li>{@code shedlock/}: {@code S3LockProvider.DEFAULT_KEY_PREFIX};</li>
 *   <li>{@code quartz-locks/<scheduler>/<tablePrefix>/}: {@code S3Semaphore}'s {@code keyPrefix} default, then the
 *       scheduler name and the table prefix, each one key segment (the Quartz module's {@code LockHandlerSettings}).
 *       The last two are found by listing: one LIST request, and one more per scheduler.</li>
 * </ul>
 * The tests check these against the adapters themselves.
 */
final class LockLocations {

  static final String CORE = "locks/";
  static final String SHEDLOCK = "shedlock/";
  static final String QUARTZ = "quartz-locks/";

  /** How the defaults read in messages. */
  static final String DESCRIPTION = CORE + " (s3-lock core), " + SHEDLOCK + " (ShedLock provider) and " + QUARTZ
      + "<scheduler>/<tablePrefix>/ (Quartz semaphore)";

  private LockLocations() {}

  /** A lock found under one prefix, and the operators' entry point on that prefix. */
  record Found(String prefix, S3LockAdmin admin, LockObject lock) {}

  /**
   * Every lock under the default prefixes (needs {@code s3:ListBucket}). The core's prefix comes first, so that a
   * missing bucket or denied access is reported in the core's words before anything else is tried.
   */
  static List<Found> listAll(StoreOptions store, S3Client s3) {
    List<Found> found = new ArrayList<>();
    for (String prefix : defaults(store, s3, () -> list(store, s3, CORE, found))) {
      list(store, s3, prefix, found);
    }
    return found;
  }

  /**
   * The lock {@code name} under each default prefix where it exists (one GET per prefix, and the listing that finds
   * the Quartz schedulers). A 403 under one prefix does not end the search (without {@code s3:ListBucket}, S3
   * answers a GET of a missing key with 403); it is thrown only when the lock is found nowhere.
   */
  static List<Found> find(StoreOptions store, S3Client s3, String name) {
    List<Found> found = new ArrayList<>();
    List<S3LockException> denied = new ArrayList<>();
    for (String prefix : defaults(store, s3, () -> show(store, s3, CORE, name, found, denied))) {
      show(store, s3, prefix, name, found, denied);
    }
    if (found.isEmpty() && !denied.isEmpty()) {
      throw denied.get(0);
    }
    return found;
  }

  private static void list(StoreOptions store, S3Client s3, String prefix, List<Found> found) {
    S3LockAdmin admin = store.admin(s3, prefix);
    admin.list().forEach(lock -> found.add(new Found(prefix, admin, lock)));
  }

  private static void show(StoreOptions store, S3Client s3, String prefix, String name, List<Found> found,
      List<S3LockException> denied) {
    S3LockAdmin admin = store.admin(s3, prefix);
    try {
      admin.show(name).ifPresent(lock -> found.add(new Found(prefix, admin, lock)));
    } catch (S3LockException e) {
      if (e.kind() != S3LockException.Kind.ACCESS_DENIED) {
        throw e;
      }
      denied.add(e);
    }
  }

  /** Looks under the core's prefix first ({@code core}), then returns the other default prefixes. */
  private static List<String> defaults(StoreOptions store, S3Client s3, Runnable core) {
    core.run();
    List<String> others = new ArrayList<>(List.of(SHEDLOCK));
    for (String scheduler : subPrefixes(s3, store.bucket, QUARTZ)) {
      others.addAll(subPrefixes(s3, store.bucket, scheduler));
    }
    return others;
  }

  /**
   * The "directories" one level under {@code prefix}, except s3-lock's own ({@code .s3-lock-probe/}): a Quartz
   * scheduler name or table prefix never starts with a dot once encoded as a key segment.
   */
  private static List<String> subPrefixes(S3Client s3, String bucket, String prefix) {
    try {
      return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/")).commonPrefixes()
          .stream()
          .map(CommonPrefix::prefix)
          .filter(p -> !p.substring(prefix.length()).startsWith("."))
          .toList();
    } catch (S3Exception e) {
      throw new CommandFailure("Listing s3://" + bucket + "/" + prefix + " to find the Quartz schedulers' locks"
          + " failed (" + e.statusCode() + "): " + e.getMessage() + " Pass --prefix to look at one prefix only.", e);
    }
  }
}
