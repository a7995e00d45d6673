#!/bin/sh
# Usage: aws_stack.sh FOTA_SIM AWS_CLI [CLOUD_ARG...] -- [--interrupt] SCENARIO...
# Stack aws against a local stack that answers as AWS does: starts `fota-sim cloud --tls` (HTTPS,
# SigV4 required, certificates from CreateKeysAndCertificate bound to their things), points the
# AWS settings at it the way a user points the AWS CLI (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
# AWS_CA_BUNDLE, a shared credentials file) and runs each scenario with `fota-sim run --stack aws`.
# After each run nothing of it may be left on the stack: no thing, certificate, policy, job or
# object (checked with the AWS CLI). With --interrupt the first scenario is interrupted (SIGINT)
# once a device has connected: the run must end in error and leave nothing behind either.
set -u
fota=$1
aws=$2
shift 2
cloud_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    cloud_args="$cloud_args $1"
    shift
done
[ $# -gt 0 ] && shift
interrupt=0
if [ "${1:-}" = "--interrupt" ]; then
    interrupt=1
    shift
fi
dir=$(mktemp -d)
. "$(dirname "$0")/start_cloud.sh"
# shellcheck disable=SC2086 # the cloud arguments are words
start_cloud aws_stack.sh "$fota" "$dir" --tls --tls-dir "$dir/tls" --bucket firmware $cloud_args
credentials=$(awk '$1 == "credentials" { print $2 }' "$dir/cloud.log")
ca=$(awk '$1 == "ca" { print $2 }' "$dir/cloud.log")
echo "aws_stack.sh: fota-sim cloud --tls at control $control, objects $objects, CA $ca"
# Only what a user would set: no other AWS setting of this machine may leak in.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
    AWS_ENDPOINT_URL_IOT AWS_ENDPOINT_URL_IOT_DATA_PLANE
export AWS_SHARED_CREDENTIALS_FILE="$credentials" AWS_CONFIG_FILE="$dir/no-config"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE="$ca"
export AWS_ENDPOINT_URL="$control" AWS_ENDPOINT_URL_S3="$objects" AWS_EC2_METADATA_DISABLED=true
role=arn:aws:iam::123456789012:role/fota-sim-presign

# Nothing of any run may be left: things, certificates, policies, jobs, objects. (Debian's AWS
# CLI predates AWS_ENDPOINT_URL: it is given the endpoints as flags.)
leftovers() {
    iot="$aws --endpoint-url $control iot"
    things=$($iot list-things --query 'length(things)' --output text) || return 1
    certificates=$($iot list-certificates --query 'length(certificates)' --output text) ||
        return 1
    policies=$($iot list-policies --query 'length(policies)' --output text) || return 1
    jobs=$($iot list-jobs --query 'length(jobs)' --output text) || return 1
    # shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
    keys=$("$aws" --endpoint-url "$objects" s3api list-objects-v2 --bucket firmware \
        --prefix fota-sim/ --query 'length(Contents || `[]`)' --output text) || return 1
    echo "things $things certificates $certificates policies $policies jobs $jobs objects $keys"
}
check_clean() {
    left=$(leftovers) || {
        echo "aws_stack.sh: the AWS CLI could not list the stack" >&2
        return 1
    }
    echo "aws_stack.sh: after $1: $left"
    case "$left" in
    "things 0 certificates 0 policies 0 jobs 0 objects 0") return 0 ;;
    esac
    echo "aws_stack.sh: $1 left something behind: $left" >&2
    return 1
}
check_clean "the start" || exit 1

if [ "$interrupt" -eq 1 ]; then
    scenario=$1
    shift
    out="$dir/interrupted.txt"
    "$fota" run "$scenario" --stack aws --bucket firmware --role-arn "$role" --verbose \
        >"$out" 2>&1 &
    run=$!
    tries=0
    until grep -q 'mqtt_connected' "$out"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 900 ] || ! kill -0 "$run" 2>/dev/null; then
            echo "aws_stack.sh: the interrupted run's device never connected" >&2
            cat "$out" "$dir/cloud.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    # Something was made: a thing of this run is on the stack now.
    made=$(leftovers)
    kill -INT "$run"
    wait "$run"
    code=$?
    cat "$out"
    if [ "$code" -ne 2 ]; then
        echo "aws_stack.sh: the interrupted run exited $code, expected 2" >&2
        exit 1
    fi
    case "$made" in
    "things 0 "*)
        echo "aws_stack.sh: nothing was on the stack while the run ran ($made)" >&2
        exit 1
        ;;
    esac
    echo "aws_stack.sh: while it ran: $made"
    check_clean "the interrupted run" || exit 1
fi

for scenario in "$@"; do
    "$fota" run "$scenario" --stack aws --bucket firmware --role-arn "$role"
    code=$?
    if [ "$code" -ne 0 ]; then
        echo "aws_stack.sh: $scenario exited $code on stack aws; fota-sim cloud's log:" >&2
        cat "$dir/cloud.log" >&2
        exit "$code"
    fi
    check_clean "$(basename "$scenario")" || exit 1
done
