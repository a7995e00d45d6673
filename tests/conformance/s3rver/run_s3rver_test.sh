#!/usr/bin/env bash
# Runs TEST_BINARY against a fresh s3rver: starts it from S3RVER_DIR (install_s3rver.sh's DEST) on
# 127.0.0.1 with a free port (-p 0, read back from its first line) and a temporary data folder,
# passes the endpoint as FOTA_S3RVER_ENDPOINT, and stops s3rver and removes the folder whatever
# happens: a trap on exit, INT and TERM, and a watchdog for a SIGKILL of this script (a CTest
# timeout). Usage: run_s3rver_test.sh S3RVER_DIR TEST_BINARY [test args...]
set -euo pipefail

s3rver_dir="${1:?usage: run_s3rver_test.sh S3RVER_DIR TEST_BINARY [args...]}"
test_binary="${2:?usage: run_s3rver_test.sh S3RVER_DIR TEST_BINARY [args...]}"
shift 2

s3rver="$s3rver_dir/node_modules/.bin/s3rver"
if [ ! -x "$s3rver" ]; then
  echo "run_s3rver_test: $s3rver is missing; the s3rver_install test (install_s3rver.sh) installs it" >&2
  exit 1
fi

work="$(mktemp -d /tmp/fota-s3rver-XXXXXX)"
pid=""
test_pid=""
watchdog=""
cleanup() {
  if [ -n "$test_pid" ] && kill -0 "$test_pid" 2>/dev/null; then
    kill "$test_pid" 2>/dev/null || true
  fi
  if [ -n "$watchdog" ]; then
    kill -9 "$watchdog" 2>/dev/null || true
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$work/data"
# s3rver 3.7.1 makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) keeps
# in its legacy provider: without it every paginated listing is an InternalError.
legacy=""
if node --openssl-legacy-provider -e '' 2>/dev/null; then
  legacy="--openssl-legacy-provider"
fi
node $legacy "$s3rver_dir/node_modules/s3rver/bin/s3rver.js" -d "$work/data" -a 127.0.0.1 -p 0 \
  >"$work/s3rver.log" 2>&1 &
pid=$!
# The watchdog outlives a SIGKILL of this script and then stops s3rver and removes the folder.
script=$$
( trap '' INT TERM
  while kill -0 "$script" 2>/dev/null; do sleep 0.5; done
  kill "$pid" 2>/dev/null || true
  sleep 1
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work" ) </dev/null >/dev/null 2>&1 &
watchdog=$!

endpoint=""
for _ in $(seq 200); do
  endpoint="$(grep -o -m1 'listening on 127\.0\.0\.1:[0-9]*' "$work/s3rver.log" | sed 's/listening on /http:\/\//' || true)"
  [ -n "$endpoint" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run_s3rver_test: s3rver exited before listening:" >&2
    cat "$work/s3rver.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$endpoint" ]; then
  echo "run_s3rver_test: s3rver did not say where it listens within 20 s:" >&2
  cat "$work/s3rver.log" >&2
  exit 1
fi
echo "run_s3rver_test: s3rver (pid $pid) at $endpoint"

# In the background and waited for, so a signal reaches the trap at once.
FOTA_S3RVER_ENDPOINT="$endpoint" "$test_binary" "$@" &
test_pid=$!
status=0
wait "$test_pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run_s3rver_test: the test failed ($status); s3rver's log:" >&2
  tail -n 60 "$work/s3rver.log" >&2
fi
exit "$status"
