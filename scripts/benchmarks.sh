#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md and writes all tables to benchmarks/target/benchmarks-all.md
# (about 10-12 minutes on 2 cores). As root it starts a throwaway Ceph radosgw on free loopback ports for the
# latency table's radosgw rows (installing Debian's Ceph packages if missing) and stops it before the CPU
# benchmarks, so that its daemons do not compete with them. Set S3LOCK_BENCH_RADOSGW=false to leave radosgw out,
# or point S3LOCK_RADOSGW_* at a radosgw you run yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/target

mvn -B -q -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -pl benchmarks -am
bench() {
  java -cp "$out/classes:$(cat "$out/bench.classpath")" "io.github.s3lock.benchmarks.$1" "$out/$2"
}

started_radosgw=false
if [ -z "${S3LOCK_RADOSGW_ENDPOINT:-}" ] && [ "${S3LOCK_BENCH_RADOSGW:-true}" = true ] && [ "$(id -u)" = 0 ]; then
  S3LOCK_RADOSGW_DIR=$(mktemp -d)/radosgw
  export S3LOCK_RADOSGW_DIR
  trap 'scripts/radosgw.sh stop >/dev/null 2>&1 || true' EXIT
  eval "$(scripts/radosgw.sh start auto)"
  started_radosgw=true
fi
bench LockBenchmarks benchmarks.md
if [ "$started_radosgw" = true ]; then
  scripts/radosgw.sh stop
fi
bench ClientCpuTable benchmarks-cpu.md
bench Scaling benchmarks-scaling.md
bench QuartzSideBySide benchmarks-quartz.md

{
  echo "Measured $(date -u +'%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m), $(java -version 2>&1 | head -1))."
  echo
  cat "$out/benchmarks.md" "$out/benchmarks-cpu.md" "$out/benchmarks-scaling.md" "$out/benchmarks-quartz.md"
} > "$out/benchmarks-all.md"
echo "all tables: $out/benchmarks-all.md"
