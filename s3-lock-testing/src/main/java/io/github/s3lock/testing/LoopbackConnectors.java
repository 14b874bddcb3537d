package io.github.s3lock.testing;

import org.apache.catalina.connector.Connector;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Registered into S3Mock through {@code spring.main.sources}: binds every Tomcat connector S3Mock creates,
 * including its secondary {@code http.port} connector, to 127.0.0.1 so that tests never listen on a public
 * interface.
 */
public class LoopbackConnectors implements BeanPostProcessor {

  @Override
  public Object postProcessBeforeInitialization(Object bean, String beanName) {
    if (bean instanceof Connector connector) {
      connector.setProperty("address", "127.0.0.1");
    }
    return bean;
  }
}
