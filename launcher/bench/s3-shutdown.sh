#!/usr/bin/env bash
# SIGTERM-to-exit with 200 log files (100 MiB) to ship to S3: Lifeboat against a bash entrypoint that traps
# TERM and runs `aws s3 cp --recursive`, both against S3Proxy started in the test JVM (docs/benchmarks/s3.md).
# Usage: launcher/bench/s3-shutdown.sh [e2e|e2e-java25]   (from the repository root; builds the fat jar first
# unless SKIP_BUILD=1). Needs the AWS CLI on PATH for the second approach (`apt-get install -y awscli`);
# without it that approach is reported as skipped.
set -euo pipefail
execution=${1:-e2e}
cd "$(dirname "$0")/../.."
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  mvn -B -q install -DskipTests -pl launcher -am
fi
cd launcher
mvn -B -q failsafe:integration-test@"$execution" -Dit.test=S3ShutdownBenchmark
cat target/s3-shutdown-benchmark.txt
