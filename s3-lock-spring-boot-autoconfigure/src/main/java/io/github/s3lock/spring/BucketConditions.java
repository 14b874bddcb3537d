package io.github.s3lock.spring;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * Whether {@code s3lock.bucket} has text. Boot's {@code @ConditionalOnProperty} would also match an empty value,
 * which would then fail deep inside the lock client instead of naming the property.
 */
final class BucketConditions {

  static final String PROPERTY = "s3lock.bucket";

  private BucketConditions() {}

  static boolean set(ConditionContext context) {
    return StringUtils.hasText(context.getEnvironment().getProperty(PROPERTY));
  }

  /** Matches when {@code s3lock.bucket} has text. */
  static final class BucketSet extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return set(context) ? ConditionOutcome.match(PROPERTY + " is set")
          : ConditionOutcome.noMatch(PROPERTY + " is missing or empty");
    }
  }

  /** Matches when {@code s3lock.bucket} is missing or empty. */
  static final class BucketMissing extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return set(context) ? ConditionOutcome.noMatch(PROPERTY + " is set")
          : ConditionOutcome.match(PROPERTY + " is missing or empty");
    }
  }
}
