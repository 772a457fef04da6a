#!/usr/bin/env bash
# SIGTERM to exit with logs to ship, side by side (docs/benchmarks/): the ordinary CLI in a bash trap, Lifeboat at
# default options, Lifeboat at the best settings found, and a warm in-JVM client at 4, 8 and 16 threads,
# interleaved round by round against one backend's test server, every run's upload read back and verified.
# Usage: bench/shutdown.sh s3|gcs|hdfs [large] [ROUNDS]   (from the repository root; ROUNDS defaults to 5)
#   large: one 1 GiB log instead of 200 files / 100 MiB (the benchmark JVM then gets -Xmx${BENCH_HEAP:-12g}).
# Builds the fat jar and the test classes in the reactor (never installs), then runs ShutdownBenchmark in the
# same Maven call, which holds /tmp/lifeboat-mvn.lock throughout, so that no other build on the machine runs
# during a measurement. BENCH_BEST holds Lifeboat's options for "best settings" (default: --concurrency 8), e.g.
# BENCH_BEST='--concurrency 16'; BENCH_OPTS more system properties.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=${LIFEBOAT_MVN_LOCK:-/tmp/lifeboat-mvn.lock}
backend=${1:?usage: bench/shutdown.sh s3|gcs|hdfs [large] [ROUNDS]}
case $backend in s3|gcs|hdfs) ;; *) echo "unknown backend $backend (s3, gcs, hdfs)" >&2; exit 2 ;; esac
shift
set_name=files
if [ "${1:-}" = large ]; then
  set_name=large
  shift
fi
rounds=${1:-5}
props=("-Dbench.backend=$backend" "-Dbench.set=$set_name" "-Dbench.rounds=$rounds")
[ -n "${BENCH_BEST:-}" ] && props+=("-Dbench.best=$BENCH_BEST")
# the GCS test server holds objects in the benchmark JVM's heap: a 1 GiB object, its parts and copies need room
[ "$set_name" = large ] && props+=("-DargLine=-Xmx${BENCH_HEAP:-12g}")
# shellcheck disable=SC2086
flock "$LOCK" sh -c 'echo "uptime before: $(uptime)"
  mvn -B -q -o -pl launcher -am package failsafe:integration-test@e2e failsafe:verify@e2e -Ddist.skip=true \
    -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dit.test=ShutdownBenchmark "$@"; rc=$?
  echo "uptime after: $(uptime)"; exit $rc' sh "${props[@]}" ${BENCH_OPTS:-}
suffix=
[ "$set_name" = large ] && suffix=-large
cat "launcher/target/benchmarks/shutdown-$backend$suffix.txt"
