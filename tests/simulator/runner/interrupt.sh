#!/bin/sh
# Usage: interrupt.sh FOTA_SIM SCENARIO [RUN_ARG...]
# Starts `fota-sim run SCENARIO`, waits until its device has connected (the private broker is
# up), sends SIGINT, and passes when the run exits 2 saying "interrupted" within 30 s, its
# mosquitto is gone and its temporary folder (/tmp/fota-run-*) is removed.
set -u
fota=$1
scenario=$2
shift 2
out=$(mktemp)
"$fota" run "$scenario" --verbose "$@" >"$out" 2>&1 &
pid=$!
tries=0
until grep -q 'mqtt_connected' "$out"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "interrupt.sh: the device never connected" >&2
        cat "$out" >&2
        exit 1
    fi
    sleep 0.1
done
broker=$(pgrep -P "$pid" mosquitto)
workdir=$(ps -o args= -p "$broker" | grep -o '/tmp/fota-run-[A-Za-z0-9]*' | head -1)
kill -INT "$pid"
. "$(dirname "$0")/wait_stopped.sh"
wait_stopped interrupt.sh "$pid"
cat "$out"
fail=0
if [ "$code" -ne 2 ]; then
    echo "interrupt.sh: exit code $code, expected 2" >&2
    fail=1
fi
if ! grep -q 'interrupted' "$out"; then
    echo "interrupt.sh: the summary does not say 'interrupted'" >&2
    fail=1
fi
if [ -z "$broker" ]; then
    echo "interrupt.sh: no mosquitto child was seen" >&2
    fail=1
elif kill -0 "$broker" 2>/dev/null; then
    echo "interrupt.sh: mosquitto $broker is still running" >&2
    kill "$broker"
    fail=1
fi
if [ -z "$workdir" ]; then
    echo "interrupt.sh: the broker's command line names no /tmp/fota-run-* folder" >&2
    fail=1
elif [ -e "$workdir" ]; then
    echo "interrupt.sh: $workdir was left behind" >&2
    fail=1
fi
rm -f "$out"
exit "$fail"
