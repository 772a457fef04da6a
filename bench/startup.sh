#!/usr/bin/env bash
# Measures, for the fat jar and for a bare JVM that only starts a child:
#  - the time from launching the JVM to the child's first instruction (the child prints the clock),
#  - the JVM's resident memory while the child sleeps.
# Usage: bench/startup.sh [JAVA] [RUNS]   (run from the repository root after `mvn -B package -DskipTests`)
# lifeboat-dist is the distribution's bin/lifeboat on its own runtime and archive, whatever JAVA is.
set -euo pipefail
JAVA=${1:-java}
RUNS=${2:-15}
JAR=${LIFEBOAT_JAR:-launcher/target/lifeboat.jar}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${JAVA%java}javac" -d "$work" bench/BareStarter.java 2>/dev/null || javac -d "$work" bench/BareStarter.java

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# ms from launch to the child's first instruction
startup() {
  local start end
  start=$(date +%s%N)
  end=$("$@" sh -c 'date +%s%N' 2>/dev/null | tail -1)
  echo $(( (end - start) / 1000000 ))
}

# RSS (KiB) of the JVM while its child sleeps
rss() {
  "$@" sleep 4 >/dev/null 2>&1 &
  local pid=$!
  sleep 3
  awk '/VmRSS/ {print $2}' /proc/$pid/status
  wait $pid || true
}

declare -A CMDS
CMDS[bare-java]="$JAVA -cp $work BareStarter"
CMDS[lifeboat]="$JAVA -jar $JAR --destination file://$work/archive --quiet --"
CMDS[lifeboat-script]="bin/lifeboat --destination file://$work/archive --quiet --"
# the distribution (mvn package): its own runtime and class data sharing archive, when it has them
DIST=$(ls -d launcher/target/lifeboat-*/ 2>/dev/null | head -1)
names="bare-java lifeboat lifeboat-script"
if [ -n "$DIST" ] && [ -x "$DIST/bin/lifeboat" ]; then
  CMDS[lifeboat-dist]="env -u LIFEBOAT_JAVA ${DIST}bin/lifeboat --destination file://$work/archive --quiet --"
  names="$names lifeboat-dist"
fi
export JAVA_HOME=${JAVA_HOME:-}
[ "$JAVA" != java ] && export LIFEBOAT_JAVA="$JAVA"

echo "java: $("$JAVA" -version 2>&1 | head -1); runs: $RUNS; machine: $(nproc) cores"
printf '%-16s %14s %12s\n' "" "to child (ms)" "RSS (MiB)"
for name in $names; do
  read -r -a cmd <<< "${CMDS[$name]}"
  for _ in 1 2; do startup "${cmd[@]}" >/dev/null; done   # warm the page cache
  t=$(for _ in $(seq "$RUNS"); do startup "${cmd[@]}"; done | median)
  r=$(for _ in 1 2 3; do rss "${cmd[@]}"; done | median)
  printf '%-16s %14s %12.1f\n' "$name" "$t" "$(echo "$r / 1024" | bc -l)"
done
