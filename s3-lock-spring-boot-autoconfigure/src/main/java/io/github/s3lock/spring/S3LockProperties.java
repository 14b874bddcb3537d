package io.github.s3lock.spring;

import io.github.s3lock.shedlock.S3LockProvider;
import java.net.URI;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code s3lock.*} properties of {@link S3LockAutoConfiguration}.
 *
 * @param bucket the bucket of the lock objects; it must exist and must not be versioned. Setting it turns the
 *     auto-configuration on.
 * @param keyPrefix prefix of every lock object key
 * @param endpoint endpoint URL of an S3-compatible store (Ceph radosgw, MinIO, ...); default AWS. Ignored when the
 *     application has an {@code S3Client} bean.
 * @param region the bucket's region; default the AWS SDK's region chain ({@code AWS_REGION}, profile, instance
 *     metadata). Ignored when the application has an {@code S3Client} bean.
 * @param pathStyle path-style addressing ({@code endpoint/bucket/key}), as most S3-compatible stores need.
 *     Ignored when the application has an {@code S3Client} bean.
 * @param serverTime decide expiry by the store's clock instead of this node's: nodes need no clock sync, at the
 *     price of a one-second margin on every expiry
 * @param probe check once, before the first lock, that the store honours conditional writes; turn it off only
 *     for a store known to conform
 * @param lockedBy who holds a lock, written into the lock object for people to read; default this host's name
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
    String lockedBy) {}
