package io.github.s3lock.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: {@code @ExtendWith(EmbeddedS3Extension.class)} starts the shared embedded S3 server (once
 * per JVM) and injects a {@link TestStore} or the {@link EmbeddedS3} itself into test constructors, lifecycle
 * methods and test methods.
 */
public final class EmbeddedS3Extension implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == TestStore.class || type == EmbeddedS3.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    EmbeddedS3 server = EmbeddedS3.shared();
    return parameter.getParameter().getType() == EmbeddedS3.class ? server : server.store();
  }
}
