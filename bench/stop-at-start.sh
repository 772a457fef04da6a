#!/usr/bin/env bash
# Counts the stops lost during start-up: starts Lifeboat with a child that sleeps, sends SIGTERM a random
# 100 to 400 ms later (FROM and SPAN change the window) and counts the runs that did not stop within 4 s
# (the child then ran on until it ended by itself). Under plain `java -jar` the JVM replaces itself during
# that window (README, Signals); `bin/lifeboat` starts the JVM fit and has no such window.
# Usage: bench/stop-at-start.sh java|script [RUNS] [JAVA]   (from the repository root, after mvn package)
set -uo pipefail
how=${1:-java} runs=${2:-40} java=${3:-java}
jar=${LIFEBOAT_JAR:-launcher/target/lifeboat.jar}
from=${FROM:-100} span=${SPAN:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$how" = script ]; then cmd=(env LIFEBOAT_JAVA="$(command -v "$java")" LIFEBOAT_JAR="$jar" bin/lifeboat)
else cmd=("$java" -jar "$jar"); fi
lost=0
for i in $(seq "$runs"); do
  d=$(( (RANDOM % span) + from ))
  rm -rf "$work/spool" "$work/archive"
  "${cmd[@]}" --destination "file://$work/archive" --spool-dir "$work/spool" --run-id r -- sleep 8 2>"$work/err" &
  pid=$!
  sleep "$(printf '0.%03d' "$d")"
  kill -TERM "$pid"
  start=$(date +%s%N); wait "$pid"; end=$(date +%s%N)
  if [ $(( (end - start) / 1000000 )) -gt 4000 ]; then lost=$((lost + 1)); echo "lost: TERM at ${d} ms"; fi
done
echo "$how on $("$java" -version 2>&1 | head -1): $lost of $runs stops lost (TERM ${from} to $((from + span)) ms after the start; load $(cut -d' ' -f1 /proc/loadavg))"
