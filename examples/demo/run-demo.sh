#!/usr/bin/env bash
# Lifeboat's demo: runs a small app under Lifeboat with the built-in file uploader, stops it the way
# `docker stop -t 10` does (SIGTERM, then SIGKILL 10 s later if still running), and prints the archive
# tree and the manifest. Build first: mvn -B package -DskipTests
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
jar=${LIFEBOAT_JAR:-$root/launcher/target/lifeboat.jar}
if [ ! -f "$jar" ]; then
  echo "demo: $jar not found; build it first: mvn -B package -DskipTests" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-demo.XXXXXX")
stop_timeout=10

echo "== starting the app under Lifeboat (work dir $work)"
LIFEBOAT_JAR=$jar "$root/bin/lifeboat" \
  --destination "file://$work/archive" \
  --logs "$work/logs/*.log" \
  --grace-period 9s \
  --run-id "demo/{start}" \
  -- "$root/examples/demo/app.sh" "$work/logs" &
pid=$!
sleep 3

echo "== docker stop -t $stop_timeout: SIGTERM to PID $pid"
start=$(date +%s%N)
kill -TERM "$pid"
for _ in $(seq $((stop_timeout * 10))); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "== still running after $stop_timeout s: SIGKILL (Lifeboat should never get here)"
  kill -KILL "$pid"
fi
status=0
wait "$pid" || status=$?
echo "== Lifeboat exited with status $status after $(( ($(date +%s%N) - start) / 1000000 )) ms"

echo "== the archive"
(cd "$work/archive" && find . -type f | sort | sed 's|^\./||')
manifest=$(find "$work/archive" -name manifest.json | head -1)
echo "== $manifest"
cat "$manifest"
echo
echo "== the shipped app.log ends with:"
tail -2 "$(find "$work/archive" -path '*files*app.log' | head -1)"
