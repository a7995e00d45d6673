#!/bin/sh
# Usage: url_stack.sh FOTA_SIM [CLOUD_ARG...] -- SCENARIO...
# Starts `fota-sim cloud` (every port free, chosen by the OS), reads its endpoints, runs each
# scenario against it with `fota-sim run --control-url --mqtt-url --object-url` (stack url), and
# stops it. Passes when every run passes; the same scenario may be given twice (a rerun against
# the same stack must pass too). With --tls among the cloud's arguments (MQTT over TLS with a
# certificate per thing, HTTPS, SigV4 required) the runs get the banner's TLS folder (--tls-dir)
# and the endpoints must be mqtts:// and https://.
set -u
fota=$1
shift
cloud_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    cloud_args="$cloud_args $1"
    shift
done
[ $# -gt 0 ] && shift
scenarios="$*"
dir=$(mktemp -d)
. "$(dirname "$0")/start_cloud.sh"
# shellcheck disable=SC2086 # the cloud arguments are words
start_cloud url_stack.sh "$fota" "$dir" --bucket firmware $cloud_args
echo "url_stack.sh: fota-sim cloud at mqtt $mqtt, control $control, objects $objects"
tls_dir=$(awk '$1 == "tls" { print $2 }' "$dir/cloud.log")
set --
if [ -n "$tls_dir" ]; then
    case "$mqtt $control $objects" in
    mqtts://*" https://"*" https://"* | ssl://*" https://"*" https://"*) ;;
    *)
        echo "url_stack.sh: fota-sim cloud --tls printed endpoints without TLS: $mqtt $control $objects" >&2
        exit 1
        ;;
    esac
    set -- --tls-dir "$tls_dir"
fi
for scenario in $scenarios; do
    "$fota" run "$scenario" --control-url "$control" --mqtt-url "$mqtt" --object-url "$objects" "$@"
    code=$?
    if [ "$code" -ne 0 ]; then
        echo "url_stack.sh: $scenario exited $code on the url stack; fota-sim cloud's log:" >&2
        cat "$dir/cloud.log" >&2
        exit "$code"
    fi
done
