#!/bin/sh
# Usage: url_stack.sh FOTA_SIM [CLOUD_ARG...] -- SCENARIO...
# Starts `fota-sim cloud` (every port free, chosen by the OS), reads its endpoints, runs each
# scenario against it with `fota-sim run --control-url --mqtt-url --object-url` (stack url), and
# stops it. Passes when every run passes; the same scenario may be given twice (a rerun against
# the same stack must pass too).
set -u
fota=$1
shift
cloud_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    cloud_args="$cloud_args $1"
    shift
done
[ $# -gt 0 ] && shift
dir=$(mktemp -d)
# shellcheck disable=SC2086 # the cloud arguments are words
"$fota" cloud --bucket firmware $cloud_args >"$dir/cloud.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
tries=0
until grep -q 'Stop with Ctrl-C' "$dir/cloud.log"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "url_stack.sh: fota-sim cloud did not start:" >&2
        cat "$dir/cloud.log" >&2
        exit 1
    fi
    sleep 0.1
done
mqtt=$(awk '$1 == "mqtt" { print $2 }' "$dir/cloud.log")
control=$(awk '$1 == "control-plane" { print $2 }' "$dir/cloud.log")
objects=$(awk '$1 == "object-server" { print $2 }' "$dir/cloud.log")
echo "url_stack.sh: fota-sim cloud at mqtt $mqtt, control $control, objects $objects"
for scenario in "$@"; do
    "$fota" run "$scenario" --control-url "$control" --mqtt-url "$mqtt" --object-url "$objects"
    code=$?
    if [ "$code" -ne 0 ]; then
        echo "url_stack.sh: $scenario exited $code on the url stack; fota-sim cloud's log:" >&2
        cat "$dir/cloud.log" >&2
        exit "$code"
    fi
done
