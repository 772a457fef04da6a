#!/bin/sh
# A stand-in for your application: it writes numbered lines to a log file and to stdout,
# and on SIGTERM writes a last line and exits, as a well-behaved server does. The trap only
# sets a flag that the loop reads between lines, so the last line always names the last
# line written, wherever the signal falls.
mkdir -p /var/log/app
i=0
stop=
trap 'stop=1' TERM
while [ -z "$stop" ]; do
  i=$((i + 1))
  echo "line $i" >> /var/log/app/app.log
  echo "out $i"
  sleep 0.05
done
echo "stopping after line $i" >> /var/log/app/app.log
echo "stopping after line $i"
exit 143
