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
. "$(dirname "$0")/start_cloud.sh"
# shellcheck disable=SC2086 # the cloud arguments are words
start_cloud url_stack.sh "$fota" "$dir" --bucket firmware $cloud_args
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
