#!/bin/sh
# Usage: shrink_check.sh OUT FOTA_SIM REGEX FILE_REGEX SCENARIO [SHRINK OPTIONS...]: shrinks
# SCENARIO into the file OUT (exit 0, output matching the extended regular expression REGEX, the
# file matching FILE_REGEX), then runs OUT on its own, with no option: it must fail (exit 1).
out=$1
fota_sim=$2
regex=$3
file_regex=$4
shift 4
rm -f "$out"
output=$("$fota_sim" shrink "$@" -o "$out" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -ne 0 ]; then
    echo "shrink_check.sh: fota-sim shrink exited $code, expected 0" >&2
    exit 1
fi
if ! printf '%s\n' "$output" | grep -Ezq -- "$regex"; then
    echo "shrink_check.sh: output does not match: $regex" >&2
    exit 1
fi
echo "--- $out:"
cat "$out"
if ! grep -Ezq -- "$file_regex" "$out"; then
    echo "shrink_check.sh: $out does not match: $file_regex" >&2
    exit 1
fi
"$fota_sim" run "$out"
code=$?
if [ "$code" -ne 1 ]; then
    echo "shrink_check.sh: the shrunk scenario exited $code on its own, expected 1 (failed)" >&2
    exit 1
fi
