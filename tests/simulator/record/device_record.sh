#!/bin/sh
# Usage: device_record.sh OUT_DIR FOTA_SIM PYTHON3 RUN_FLEET BUILD [ARGS...]: two devices of
# `fota-sim device --count 2 --record OUT_DIR` through the seed's flow against `fota-sim cloud`
# (bench/fleet/run_fleet.py: a real Mosquitto with the plugin, real sockets and time), then every
# recording replayed: each must print "identical".
out=$1
fota_sim=$2
python3=$3
run_fleet=$4
build=$5
shift 5
rm -rf "$out"
if ! "$python3" "$run_fleet" --build "$build" --count 2 --connect-wait 3 --timeout 240 \
        --record "$out" "$@"; then
    echo "device_record.sh: the devices did not all update" >&2
    exit 1
fi
count=$(ls "$out"/*.jsonl 2>/dev/null | wc -l)
if [ "$count" -ne 2 ]; then
    echo "device_record.sh: $count recordings in $out, expected 2" >&2
    exit 1
fi
output=$("$fota_sim" replay "$out" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -ne 0 ] || [ "$(printf '%s\n' "$output" | grep -c 'identical (')" -ne 2 ]; then
    echo "device_record.sh: the recordings did not replay identical (exit $code)" >&2
    exit 1
fi
echo "device_record.sh: fota-sim device --record: 2 recordings, each replayed identical"
