#!/bin/sh
# Usage: expect_exit.sh CODE REGEX COMMAND...: runs COMMAND, passes when it exits with CODE and
# its output (stdout and stderr) matches the extended regular expression REGEX
# (applied to the whole output at once: "." also matches newlines).
want=$1
regex=$2
shift 2
output=$("$@" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -ne "$want" ]; then
    echo "expect_exit.sh: exit code $code, expected $want" >&2
    exit 1
fi
if ! printf '%s\n' "$output" | grep -Ezq -- "$regex"; then
    echo "expect_exit.sh: output does not match: $regex" >&2
    exit 1
fi
