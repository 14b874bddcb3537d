package io.github.s3lock.quartz;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Defers an action to the end of the current Spring transaction, when spring-tx is on the classpath (it is an
 * optional dependency: without it, {@link #runAfterCompletion} always answers false).
 *
 * <p>Why: {@code JobStoreCMT} (Spring's {@code LocalDataSourceJobStore}) releases the lock of a Scheduler API
 * call inside the caller's transaction before that transaction commits. A database row lock is held until the
 * commit anyway; an S3 lock is not, so another node could read the rows before they are committed.
 */
final class SpringTransactions {

  private static final boolean PRESENT = isPresent();

  private SpringTransactions() {}

  /** Runs {@code action} after the current Spring transaction completes (commit or rollback), if there is one. */
  static boolean runAfterCompletion(Runnable action) {
    return PRESENT && Bound.register(action);
  }

  private static boolean isPresent() {
    try {
      Class.forName("org.springframework.transaction.support.TransactionSynchronizationManager", false,
          SpringTransactions.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Loaded only when spring-tx is present. */
  private static final class Bound {
    static boolean register(Runnable action) {
      if (!TransactionSynchronizationManager.isSynchronizationActive()) {
        return false;
      }
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void afterCompletion(int status) {
          action.run();
        }
      });
      return true;
    }
  }
}
