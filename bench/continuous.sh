#!/usr/bin/env bash
# Continuous shipping, measured with the real fat jar (docs/benchmarks/continuous.md):
#   kill: bytes lost when Lifeboat and its child are SIGKILLed together, against the bound
#   stop: SIGTERM to exit against the volume written, with --ship-interval 10s and 0
#   cost: Lifeboat's CPU time and RSS while the child writes, with the interval on and off
# Usage: bench/continuous.sh [kill|stop|cost]...   (from the repository root; all three by default)
# Builds the fat jar and the test classes in the reactor (never installs), then runs the parts asked for in
# the same Maven call, which holds /tmp/lifeboat-mvn.lock throughout, so that no other build on the machine
# runs during a measurement. Counts and durations are system properties of ContinuousShippingBenchmark,
# passed in BENCH_OPTS, e.g. BENCH_OPTS='-Dbench.killRuns=20 -Dbench.backends=s3'.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=${LIFEBOAT_MVN_LOCK:-/tmp/lifeboat-mvn.lock}
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(kill stop cost)
declare -A METHOD=([kill]=bytesLostOnAHardKill [stop]=stopTimeAgainstVolume [cost]=costWhileRunning)
methods=()
for part in "${parts[@]}"; do
  methods+=("${METHOD[$part]:?unknown part $part (kill, stop, cost)}")
done
selection="ContinuousShippingBenchmark#$(IFS=+; echo "${methods[*]}")"
# shellcheck disable=SC2086
flock "$LOCK" sh -c 'echo "uptime before: $(uptime)"
  mvn -B -q -o -pl launcher -am package failsafe:integration-test@e2e -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test="$0" "$@"; rc=$?
  echo "uptime after: $(uptime)"; exit $rc' "$selection" ${BENCH_OPTS:-}
for part in "${parts[@]}"; do
  cat "launcher/target/benchmarks/continuous-$part.txt"
done
