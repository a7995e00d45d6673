#!/bin/sh
# Usage: record_replay.sh [--same-report] OUT_DIR FOTA_SIM SCENARIO [RUN_ARGS...]: runs SCENARIO
# with `fota-sim run --record OUT_DIR` (and RUN_ARGS, e.g. --stack sim), checks that the run passed
# and wrote a recording per device, then replays every recording: each must print "identical".
# --same-report (sim only): the run without --record must give the same JSON report, byte for
# byte (recording changes nothing of the run). The recordings are removed when every check
# passed. Exits with the run's code when that is not 0, else 1 when a check fails, else 0.
same_report=0
if [ "$1" = "--same-report" ]; then
    same_report=1
    shift
fi
out=$1
fota_sim=$2
scenario=$3
shift 3
rm -rf "$out" "$out".recorded.json "$out".plain.json
"$fota_sim" run "$scenario" --record "$out" --json "$out".recorded.json "$@"
code=$?
if [ "$code" -ne 0 ]; then
    exit "$code"
fi
if [ "$same_report" -eq 1 ]; then
    "$fota_sim" run "$scenario" --json "$out".plain.json "$@" >/dev/null
    if ! cmp "$out".recorded.json "$out".plain.json; then
        echo "record_replay.sh: the run with --record gave another report than the run without" >&2
        diff "$out".recorded.json "$out".plain.json | head -20 >&2
        exit 1
    fi
fi
count=$(ls "$out"/*.jsonl 2>/dev/null | wc -l)
if [ "$count" -eq 0 ]; then
    echo "record_replay.sh: $scenario wrote no recording in $out" >&2
    exit 1
fi
output=$("$fota_sim" replay "$out" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -ne 0 ]; then
    echo "record_replay.sh: a recording of $scenario did not replay identical (exit $code)" >&2
    exit 1
fi
identical=$(printf '%s\n' "$output" | grep -c 'identical (')
if [ "$identical" -ne "$count" ]; then
    echo "record_replay.sh: $identical of $count recordings replayed identical" >&2
    exit 1
fi
echo "record_replay.sh: $scenario: $count recording(s), each replayed identical"
# Kept only when a check fails: a library run on sim writes about 120 MB of recordings.
rm -rf "$out"
