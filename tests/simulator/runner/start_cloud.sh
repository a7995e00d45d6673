# shellcheck shell=sh
# Sourced by the tests that run scenarios against a running stack (runner/url_stack.sh,
# runner/aws_stack.sh).
# start_cloud NAME FOTA_SIM DIR [CLOUD_ARG...]: starts `FOTA_SIM cloud CLOUD_ARG...` with its
# output in DIR/cloud.log, waits up to 60 s for it to say it runs (on failure says so as NAME,
# with the log, and exits 1), and on exit stops it and removes DIR. Sets `pid`, and `mqtt`,
# `control` and `objects` from the banner's endpoint lines.
start_cloud() {
    name=$1
    fota_sim=$2
    cloud_dir=$3
    shift 3
    "$fota_sim" cloud "$@" >"$cloud_dir/cloud.log" 2>&1 &
    pid=$!
    # shellcheck disable=SC2064 # the values now
    trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$cloud_dir'" EXIT
    tries=0
    until grep -q 'Stop with Ctrl-C' "$cloud_dir/cloud.log"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "$name: fota-sim cloud did not start:" >&2
            cat "$cloud_dir/cloud.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    # shellcheck disable=SC2034 # for the caller
    mqtt=$(awk '$1 == "mqtt" { print $2 }' "$cloud_dir/cloud.log")
    # shellcheck disable=SC2034 # for the caller
    control=$(awk '$1 == "control-plane" { print $2 }' "$cloud_dir/cloud.log")
    # shellcheck disable=SC2034 # for the caller
    objects=$(awk '$1 == "object-server" { print $2 }' "$cloud_dir/cloud.log")
}
