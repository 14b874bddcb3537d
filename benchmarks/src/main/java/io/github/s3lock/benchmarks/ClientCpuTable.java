package io.github.s3lock.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link ClientCpuBenchmark} under JMH (one fork, GC profiler) and writes its results as a Markdown table. */
public final class ClientCpuTable {

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "target/benchmarks-cpu.md");
    Options options = new OptionsBuilder()
        .include(ClientCpuBenchmark.class.getName())
        // Sampled, so that the table can give the median: these machines are shared, and a mean over a few
        // iterations moves with whatever else runs.
        .mode(Mode.SampleTime)
        .timeUnit(TimeUnit.MICROSECONDS)
        .forks(1)
        // The SDK's request pipeline is deep: C2 needs about 15 s of this loop before times stop falling.
        .warmupIterations(10)
        .warmupTime(TimeValue.seconds(2))
        .measurementIterations(5)
        .measurementTime(TimeValue.seconds(2))
        .addProfiler(GCProfiler.class)
        .build();
    StringBuilder md = new StringBuilder("### Client CPU and allocation per operation (JMH)\n\n")
        .append("JMH 1.37, one fork, 10 × 2 s warm-up and 5 × 2 s measurement per benchmark, one thread, against ")
        .append("the in-memory S3, which answers inside the calling thread: time per operation is the client's ")
        .append("CPU time (AWS SDK pipeline and lock protocol; the in-memory store's own work is included and small). ")
        .append("Times are JMH's sampled time per operation; allocation is its `gc.alloc.rate.norm`.\n\n")
        .append("| operation | S3 requests | p50 µs | p99 µs | mean µs | KiB allocated per op |\n")
        .append("|---|---:|---:|---:|---:|---:|\n");
    for (RunResult run : new Runner(options).run()) {
      String method = run.getParams().getBenchmark();
      method = method.substring(method.lastIndexOf('.') + 1);
      Result<?> time = run.getPrimaryResult();
      Result<?> alloc = run.getSecondaryResults().get("gc.alloc.rate.norm");
      md.append(String.format("| %s | %s | %.0f | %.0f | %.0f | %s |%n", describe(method), requests(method),
          time.getStatistics().getPercentile(50), time.getStatistics().getPercentile(99), time.getScore(),
          alloc == null ? "n/a" : String.format("%.1f", alloc.getScore() / 1024)));
    }
    md.append('\n');
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static String describe(String method) {
    return switch (method) {
      case "lockUnlockCycle" -> "lock + unlock cycle";
      case "refusedHeldByAnother" -> "refused, held by another (warm cache)";
      case "sdkPutBaseline" -> "baseline: one plain SDK PutObject";
      default -> method;
    };
  }

  private static String requests(String method) {
    return switch (method) {
      case "lockUnlockCycle" -> "2 PUT";
      case "refusedHeldByAnother" -> "1 GET";
      case "sdkPutBaseline" -> "1 PUT";
      default -> "?";
    };
  }
}
