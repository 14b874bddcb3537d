#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md and writes all tables to benchmarks/target/benchmarks-all.md
# (about 10 minutes on 2 cores). As root it first starts a throwaway Ceph radosgw on free loopback ports
# (installing Debian's Ceph packages if missing), so that the latency table gets its radosgw rows; set
# S3LOCK_BENCH_RADOSGW=false to skip that, or point S3LOCK_RADOSGW_* at a radosgw you run yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${S3LOCK_RADOSGW_ENDPOINT:-}" ] && [ "${S3LOCK_BENCH_RADOSGW:-true}" = true ] && [ "$(id -u)" = 0 ]; then
  S3LOCK_RADOSGW_DIR=$(mktemp -d)/radosgw
  export S3LOCK_RADOSGW_DIR
  trap 'scripts/radosgw.sh stop >/dev/null 2>&1 || true' EXIT
  eval "$(scripts/radosgw.sh start auto)"
fi

mvn -B -q -Pbench -DskipTests verify -pl benchmarks -am
out=benchmarks/target
{
  echo "Measured $(date -u +'%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(uname -m), $(java -version 2>&1 | head -1))."
  echo
  cat "$out/benchmarks.md" "$out/benchmarks-cpu.md" "$out/benchmarks-scaling.md" "$out/benchmarks-quartz.md"
} > "$out/benchmarks-all.md"
echo "all tables: $out/benchmarks-all.md"
