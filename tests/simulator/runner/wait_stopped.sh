# Sourced by the interrupt tests (runner/interrupt.sh, sweep/sweep_interrupt.sh).
# wait_stopped NAME PID [OTHER_PID...]: waits up to 30 s for PID to end after a signal; on time
# out kills PID and the others with SIGKILL, says so as NAME and exits 1. Sets `code` to PID's
# exit status.
wait_stopped() {
    name=$1
    waited=$2
    shift
    tries=0
    while kill -0 "$waited" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 300 ]; then
            echo "$name: the command did not stop within 30 s of SIGINT" >&2
            kill -9 "$@"
            exit 1
        fi
        sleep 0.1
    done
    wait "$waited"
    code=$?
}
