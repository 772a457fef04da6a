#!/bin/sh
# A stand-in for your application: it writes numbered lines to a log file and to stdout,
# and on SIGTERM writes a last line and exits, as a well-behaved server does.
mkdir -p /var/log/app
i=0
trap 'echo "stopping after line $i" >> /var/log/app/app.log; echo "stopping after line $i"; exit 143' TERM
while :; do
  i=$((i + 1))
  echo "line $i" >> /var/log/app/app.log
  echo "out $i"
  sleep 0.05
done
