#!/bin/sh
# Usage: sweep_interrupt.sh FOTA_SIM SCENARIO JSON: starts `fota-sim sweep SCENARIO --jobs 2
# --json JSON`, waits for its first progress line, sends SIGINT to it and its workers (as Ctrl-C
# does to a terminal's foreground group), and passes when it exits 2 within 30 s saying
# "interrupted", the JSON report says so with fewer cases than planned, and no worker is left.
set -u
fota=$1
scenario=$2
json=$3
out=$(mktemp)
rm -f "$json"
"$fota" sweep "$scenario" --jobs 2 --json "$json" >"$out" 2>&1 &
pid=$!
tries=0
until grep -q ' cases, ' "$out"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "sweep_interrupt.sh: no progress line" >&2
        cat "$out" >&2
        exit 1
    fi
    sleep 0.1
done
workers=$(pgrep -P "$pid")
kill -INT $workers "$pid" 2>/dev/null
. "$(dirname "$0")/../runner/wait_stopped.sh"
wait_stopped sweep_interrupt.sh "$pid" $workers
cat "$out"
fail=0
if [ "$code" -ne 2 ]; then
    echo "sweep_interrupt.sh: exit code $code, expected 2" >&2
    fail=1
fi
if ! grep -q ', interrupted' "$out"; then
    echo "sweep_interrupt.sh: the summary does not say interrupted" >&2
    fail=1
fi
if ! grep -q '"interrupted": true' "$json"; then
    echo "sweep_interrupt.sh: the JSON report does not say interrupted" >&2
    fail=1
fi
for worker in $workers; do
    if kill -0 "$worker" 2>/dev/null; then
        echo "sweep_interrupt.sh: worker $worker is still running" >&2
        kill -9 "$worker"
        fail=1
    fi
done
rm -f "$out"
exit $fail
