package io.github.s3lock.spring;

import io.github.s3lock.shedlock.S3LockProvider;
import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code s3lock.*} properties of {@link S3LockAutoConfiguration}.
 *
 * @param bucket the bucket of the lock objects; it must exist and must not be versioned. Setting it turns the
 *     auto-configuration on; when it is missing or empty while ShedLock or {@code s3lock.quartz.enabled} needs it,
 *     the start fails (or logs, see {@code startupCheck}) naming this property.
 * @param keyPrefix prefix of the ShedLock lock objects' keys
 * @param endpoint endpoint URL of an S3-compatible store (Ceph radosgw, MinIO, ...); default AWS. Ignored when the
 *     application has an {@code S3Client} bean.
 * @param region the bucket's region; default the AWS SDK's region chain ({@code AWS_REGION}, profile, instance
 *     metadata). Ignored when the application has an {@code S3Client} bean.
 * @param pathStyle path-style addressing ({@code endpoint/bucket/key}), as most S3-compatible stores need.
 *     Ignored when the application has an {@code S3Client} bean.
 * @param serverTime decide expiry by the store's clock instead of this node's: nodes need no clock sync, at the
 *     price of a one-second margin on every expiry
 * @param probe check that the store honours conditional writes (a few requests): at start-up with the start-up
 *     check, else before the first lock; turn it off only for a store known to conform
 * @param lockedBy who holds a lock, written into the lock object for people to read; default this host's name
 * @param startupCheck what to do about a lock store that fails its check at start-up (missing bucket, no
 *     credentials, unreachable endpoint, access denied, a store that ignores conditional writes): {@code fail}
 *     (default) stops the start with the cause and the fix, {@code warn} logs them and starts, {@code off} sends
 *     nothing at start-up
 * @param health the Actuator health indicator
 * @param quartz the Quartz lock handler
 */
@ConfigurationProperties("s3lock")
public record S3LockProperties(
    String bucket,
    @DefaultValue(S3LockProvider.DEFAULT_KEY_PREFIX) String keyPrefix,
    URI endpoint,
    String region,
    boolean pathStyle,
    boolean serverTime,
    @DefaultValue("true") boolean probe,
    String lockedBy,
    @DefaultValue("fail") StartupCheck startupCheck,
    @DefaultValue Health health,
    @DefaultValue Quartz quartz) {

  /** What a failed start-up check does. */
  public enum StartupCheck {
    /** The application does not start; the cause and the fix are printed as Spring Boot's failure analysis. */
    FAIL,
    /** One WARN line with the cause and the fix; the application starts, and locks fail until it is fixed. */
    WARN,
    /** No check: the first lock meets the problem. */
    OFF
  }

  /**
   * The {@code s3lock.health.*} properties (the indicator exists when Spring Boot Actuator is present and
   * {@code management.health.s3lock.enabled} is not false).
   *
   * @param timeToLive how long a check's answer is reused: a health endpoint polled every few seconds then costs one
   *     GET per period, not per poll. Zero checks on every call
   */
  public record Health(@DefaultValue("30s") Duration timeToLive) {}

  /**
   * The {@code s3lock.quartz.*} properties: Spring Boot's Quartz ({@code spring.quartz.job-store-type=jdbc}) with
   * its {@code TRIGGER_ACCESS} and {@code STATE_ACCESS} locks in S3, in {@code s3lock.bucket}, on the same S3
   * client as the ShedLock provider. Other lock handler properties can still be set under
   * {@code spring.quartz.properties.org.quartz.jobStore.lockHandler.}; those win.
   *
   * @param enabled turn the S3 lock handler on; default false
   * @param keyPrefix the lock handler's {@code keyPrefix}: locks live at
   *     {@code <keyPrefix><schedulerName>/<tablePrefix>/}
   * @param lease the lock handler's {@code leaseMillis}: how long a lock survives a node that died holding it
   * @param acquireTimeout the lock handler's {@code acquireTimeoutMillis}: how long a lock is waited for
   */
  public record Quartz(
      boolean enabled,
      @DefaultValue("quartz-locks/") String keyPrefix,
      @DefaultValue("30s") Duration lease,
      @DefaultValue("60s") Duration acquireTimeout) {}
}
