package io.github.s3lock.spring;

import io.github.s3lock.core.LockListener;
import io.github.s3lock.quartz.S3Semaphore;
import io.github.s3lock.spring.S3LockAutoConfiguration.S3LockS3Client;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.io.ResourceLoader;
import org.springframework.scheduling.quartz.SchedulerFactoryBean;

/**
 * The Quartz lock handler that {@code s3lock.quartz.enabled=true} installs: an {@link S3Semaphore} on the S3 client
 * of the Spring application whose {@link SchedulerFactoryBean} builds the scheduler (the application's
 * {@code S3Client} bean if it has one, else the client built from {@code s3lock.*}), reporting to the application's
 * {@link LockListener} (the Micrometer meters) when there is one.
 *
 * <p>Why a subclass: Quartz creates its lock handler itself, from a class name with a no-argument constructor, and
 * can hand it only String, number and boolean properties, never an object. {@code SchedulerFactoryBean} offers no
 * setter for a lock handler instance either. But it builds the scheduler, lock handler included, on the thread that
 * initializes it, and meanwhile exposes the application context that owns it
 * ({@link SchedulerFactoryBean#getConfigTimeResourceLoader()}, as its own {@code LocalDataSourceJobStore} does for
 * the data source). The constructor takes the S3 client from there: no static state, and several applications in
 * one JVM each get their own client.
 */
public class SpringS3Semaphore extends S3Semaphore {

  /**
   * For Quartz, while a {@link SchedulerFactoryBean} of an application with s3-lock's auto-configuration builds the
   * scheduler.
   *
   * @throws IllegalStateException when created anywhere else
   */
  public SpringS3Semaphore() {
    this(owningContext());
  }

  private SpringS3Semaphore(BeanFactory context) {
    super(context.getBean(S3LockS3Client.class).client());
    context.getBeanProvider(LockListener.class).ifAvailable(this::setLockListener);
  }

  private static BeanFactory owningContext() {
    ResourceLoader loader = SchedulerFactoryBean.getConfigTimeResourceLoader();
    if (loader instanceof BeanFactory context && context.getBeanProvider(S3LockS3Client.class).getIfAvailable() != null) {
      return context;
    }
    throw new IllegalStateException(SpringS3Semaphore.class.getName() + " takes its S3 client from the Spring"
        + " application whose SchedulerFactoryBean builds the scheduler, and found none with s3-lock's"
        + " auto-configuration: it is what s3lock.quartz.enabled=true installs. Elsewhere use "
        + S3Semaphore.class.getName() + " and its org.quartz.jobStore.lockHandler.* properties.");
  }
}
