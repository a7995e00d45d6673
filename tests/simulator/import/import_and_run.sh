#!/bin/sh
# Usage: import_and_run.sh FOTA_SIM DATA_DIR WORK_DIR
# Imports the sample field failure from each form of its log (JSON lines, JSON array,
# filter-log-events output) with its execution history; the three scenarios must be the same
# apart from their comments (which name the files and lines entries were read from). Then checks
# the scenario and runs it on sim: exit 1 expected (the field's FAILED is not what our core does,
# it resumes and succeeds), with the field's expectation reported as expected FAILED, observed
# SUCCEEDED.
set -u
fota=$1
data=$2
work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "import_and_run.sh: $*" >&2; exit 1; }

for form in field-failure.jsonl field-failure-array.json field-failure-filter-log-events.json; do
    out="$work/imported-${form%%.*}.yaml"
    "$fota" import --iot-logs "$data/$form" \
        --executions "$data/describe-job-execution.json" "$data/list-job-executions-for-thing.json" \
        --thing nrf-352656100123456 -o "$out" || fail "import of $form exited $?"
done
strip() { grep -v '^ *#' "$1" | sed -e 's/^name: .*//'; }
strip "$work/imported-field-failure.yaml" > "$work/lines.txt"
for other in field-failure-array field-failure-filter-log-events; do
    strip "$work/imported-$other.yaml" > "$work/other.txt"
    cmp -s "$work/lines.txt" "$work/other.txt" || {
        diff "$work/lines.txt" "$work/other.txt"
        fail "the scenario imported from $other differs from the one of the JSON lines"
    }
done

scenario="$work/imported-field-failure.yaml"
"$fota" check "$scenario" || fail "fota-sim check refused the imported scenario"
output=$("$fota" run "$scenario" --stack sim --json "$work/report.json" 2>&1)
code=$?
printf '%s\n' "$output"
[ "$code" -eq 1 ] || fail "fota-sim run exited $code; expected 1 (the field's FAILED not reproduced)"
printf '%s\n' "$output" | grep -q 'expected: execution of fw-2-1-0 FAILED' ||
    fail "the field's expectation is not in the report"
printf '%s\n' "$output" | grep -q 'observed: nrf-352656100123456-0: SUCCEEDED' ||
    fail "the device did not end SUCCEEDED"
echo "import_and_run.sh: imported, checked, ran on sim: exit 1 as expected"
