package io.github.s3lock.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IsolatedListenerTest {

  @Test
  void everyCallIsCaughtAndCountedAndStillReachesTheListener() {
    List<String> calls = new ArrayList<>();
    LockListener throwing = new LockListener() {
      @Override
      public void attempted(String lockName, AttemptOutcome outcome, Duration latency) {
        calls.add("attempted");
        throw new IllegalStateException("bug");
      }

      @Override
      public void requestCompleted(Request request, int status) {
        calls.add("requestCompleted");
        throw new IllegalArgumentException("bug");
      }

      @Override
      public void released(String lockName, Duration heldFor) {
        calls.add("released");
        throw new UnsupportedOperationException("bug");
      }

      @Override
      public void leaseLost(String lockName) {
        calls.add("leaseLost");
        throw new NullPointerException("bug");
      }
    };
    IsolatedListener isolated = (IsolatedListener) IsolatedListener.of(throwing);

    assertThatCode(() -> {
      isolated.attempted("job", LockListener.AttemptOutcome.ACQUIRED, Duration.ZERO);
      isolated.requestCompleted(LockListener.Request.PUT, 200);
      isolated.released("job", Duration.ZERO);
      isolated.leaseLost("job");
    }).doesNotThrowAnyException();

    assertThat(calls).containsExactly("attempted", "requestCompleted", "released", "leaseLost");
    assertThat(isolated.failures()).isEqualTo(4);
  }

  @Test
  @SuppressWarnings("deprecation")
  void aListenerWrittenAgainstTheFormerRequestSentStillHearsOfEveryRequest() {
    List<String> heard = new ArrayList<>();
    LockListener former = new LockListener() {
      @Override
      public void requestSent(String method, int status) {
        heard.add(method + " " + status);
      }
    };

    IsolatedListener.of(former).requestCompleted(LockListener.Request.GET, 304);

    assertThat(heard).containsExactly("GET 304");
  }

  @Test
  void theDefaultListenerIsNotWrapped() {
    assertThat(IsolatedListener.of(LockListener.NONE)).isSameAs(LockListener.NONE);
  }
}
