#!/bin/sh
# The demo's application: writes a log file and to stdout/stderr until it is told to stop, then
# finishes its last line and exits, as a well-behaved service does on SIGTERM.
log_dir=${1:?usage: app.sh LOG_DIR}
mkdir -p "$log_dir"
stopping=0
trap 'stopping=1' TERM INT
i=0
while [ "$stopping" = 0 ]; do
  i=$((i + 1))
  echo "$(date -u +%H:%M:%S.%N) request $i handled" >> "$log_dir/app.log"
  [ $((i % 5)) = 0 ] && echo "$(date -u +%H:%M:%S) audit entry $i" >> "$log_dir/audit.log"
  echo "app: handled request $i"
  [ $((i % 10)) = 0 ] && echo "app: warning: request $i was slow" >&2
  sleep 0.1
done
echo "$(date -u +%H:%M:%S.%N) received SIGTERM after $i requests, shutting down" >> "$log_dir/app.log"
echo "app: bye"
exit 0
