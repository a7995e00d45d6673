#!/bin/sh
# Usage: run_scenario.sh XMLLINT XSD JUNIT COMMAND...: runs COMMAND (a `fota-sim run ... --junit
# JUNIT`), then checks that JUNIT validates against the JUnit schema XSD. Exits with COMMAND's
# code when that is not 0, else 1 when the report does not validate, else 0.
xmllint=$1
xsd=$2
junit=$3
shift 3
rm -f "$junit"
"$@"
code=$?
if [ "$code" -ne 0 ]; then
    exit "$code"
fi
if ! "$xmllint" --noout --schema "$xsd" "$junit"; then
    echo "run_scenario.sh: $junit does not validate against $xsd" >&2
    exit 1
fi
