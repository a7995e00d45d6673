#!/bin/sh
# Usage: sim_twice.sh XMLLINT XSD OUT_PREFIX FOTA_SIM SCENARIO [ARGS...]: runs SCENARIO on stack
# sim twice with the same seed, checks that the run passed, that its JUnit report validates
# against XSD, and that the two JSON reports (timeline included) are byte for byte the same.
# Exits with the run's code when that is not 0, else 1 when a check fails, else 0.
xmllint=$1
xsd=$2
out=$3
fota_sim=$4
scenario=$5
shift 5
rm -f "$out".first.json "$out".second.json "$out".junit.xml
"$fota_sim" run "$scenario" --stack sim --json "$out".first.json --junit "$out".junit.xml "$@"
code=$?
if [ "$code" -ne 0 ]; then
    exit "$code"
fi
if ! "$xmllint" --noout --schema "$xsd" "$out".junit.xml; then
    echo "sim_twice.sh: $out.junit.xml does not validate against $xsd" >&2
    exit 1
fi
"$fota_sim" run "$scenario" --stack sim --json "$out".second.json "$@" >/dev/null
code=$?
if [ "$code" -ne 0 ]; then
    echo "sim_twice.sh: the second run of $scenario ended with $code, the first passed" >&2
    exit 1
fi
if ! cmp "$out".first.json "$out".second.json; then
    echo "sim_twice.sh: two runs of $scenario with the same seed gave different reports:" >&2
    diff "$out".first.json "$out".second.json | head -40 >&2
    exit 1
fi
echo "sim_twice.sh: $scenario passed twice on sim with byte-identical reports"
