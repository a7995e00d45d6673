#!/usr/bin/env bash
# The docker/ image and compose stack on a real Docker engine, end to end: builds the image from
# the dev preset's binaries (docker/Dockerfile, target prebuilt), brings up `cloud` and two
# `devices` replicas, runs the seed scenario from the `runner` container against `cloud`, checks
# its JUnit, and removes every container, network, volume and image it made.
#
# Usage: run.sh FOTA_SIM PLUGIN SOURCE_DIR   (CTest passes the dev build's files; label docker)
#
# No registry is used: the base image debian:bookworm-slim is a debootstrap root from the Debian
# mirror this machine's apt uses, `docker import`ed; its tarball is cached in FOTA_CACHE_DIR
# (default ~/.cache/fota-sim) between runs. When no engine answers, the test starts its own
# dockerd (root only; vfs storage, no bridge, no iptables, every path under a temporary folder)
# and stops it at the end. It fails, never skips, when there is no engine it can use.
# Environment: FOTA_DOCKER (client, default /usr/bin/docker: Debian's, whose API is its dockerd's),
# FOTA_DOCKER_COMPOSE (default docker-compose), FOTA_CACHE_DIR, FOTA_DEBIAN_MIRROR,
# FOTA_DEBIAN_SECURITY_MIRROR, FOTA_DOCKER_NICE (niceness of the dockerd it starts, and so of the
# builds and containers; default 0), FOTA_DOCKER_KEEP=1 (leave the temporary folder for a
# post-mortem).
set -Eeuo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 FOTA_SIM PLUGIN SOURCE_DIR" >&2
  exit 2
fi
fota_sim=$1
plugin=$2
source_dir=$(cd "$3" && pwd)

docker=${FOTA_DOCKER:-/usr/bin/docker}
compose_bin=${FOTA_DOCKER_COMPOSE:-docker-compose}
cache_dir=${FOTA_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/fota-sim}
base_tag=debian:bookworm-slim
base_tarball=$cache_dir/debian-bookworm-slim-rootfs.tar

work=$(mktemp -d /tmp/fota-docker.XXXXXX)
image=fota-sim-test:$$
project=fotadocker$$
our_dockerd_pid=
image_built=0
compose_up=0
ci_container=
started=$(date +%s)

say() { printf '[tests/docker %4ss] %s\n' "$(($(date +%s) - started))" "$*"; }
fail() {
  echo "tests/docker: FAIL: $*" >&2
  exit 1
}
compose() { "$compose_bin" -p "$project" -f "$source_dir/docker/compose.yaml" "$@"; }

cleanup() {
  local status=$?
  trap - ERR
  set +e
  if [ "$compose_up" = 1 ]; then
    say "compose down (containers, network, volumes)"
    compose --profile runner down --volumes --remove-orphans --timeout 20 >"$work/down.log" 2>&1 ||
      cat "$work/down.log" >&2
  fi
  [ -z "$ci_container" ] || "$docker" rm -f "$ci_container" >/dev/null 2>&1
  # An engine of our own goes whole with its data root below; another keeps only what it had.
  if [ "$image_built" = 1 ] && [ -z "$our_dockerd_pid" ]; then
    say "removing image $image"
    "$docker" rmi -f "$image" >/dev/null 2>&1
  fi
  if [ -n "$our_dockerd_pid" ]; then
    say "stopping the dockerd this test started (pid $our_dockerd_pid)"
    kill -TERM "$our_dockerd_pid" 2>/dev/null
    for _ in $(seq 1 60); do
      kill -0 "$our_dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$our_dockerd_pid" 2>/dev/null; then
      echo "tests/docker: dockerd $our_dockerd_pid did not stop in 30 s; killing it" >&2
      kill -KILL "$our_dockerd_pid" 2>/dev/null
      status=1
    fi
  fi
  # dockerd leaves its network namespace mounted under its exec root: unmount what is left
  # (deepest first) so that the folder can go.
  grep -o " $work/[^ ]*" /proc/self/mounts | sort -r | while read -r mount; do
    umount "$mount" || umount -l "$mount"
  done
  if [ "${FOTA_DOCKER_KEEP:-0}" = 1 ]; then
    echo "tests/docker: kept $work" >&2
  else
    say "removing $work"
    rm -rf "$work"
  fi
  say "done, exit $status"
  exit "$status"
}
trap cleanup EXIT
trap 'echo "tests/docker: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

[ -x "$fota_sim" ] || fail "fota-sim not found at $fota_sim (build the dev preset first)"
[ -f "$plugin" ] || fail "the Mosquitto plugin not found at $plugin"
command -v "$docker" >/dev/null || fail "no docker client at $docker (scripts/setup installs docker.io)"
command -v "$compose_bin" >/dev/null ||
  fail "no $compose_bin (scripts/setup installs docker-compose)"

# ---- an engine: the one that answers, or our own ------------------------------------------
if "$docker" info >/dev/null 2>&1; then
  say "using the running engine (${DOCKER_HOST:-unix:///var/run/docker.sock})"
else
  [ "$(id -u)" -eq 0 ] ||
    fail "no Docker engine answers and only root can start one (run as root, or start dockerd)"
  command -v dockerd >/dev/null || fail "no dockerd (scripts/setup installs docker.io)"
  engine=$work/engine
  mkdir -p "$engine"
  say "starting a private dockerd under $engine"
  nice -n "${FOTA_DOCKER_NICE:-0}" dockerd --storage-driver=vfs --data-root "$engine/data" --exec-root "$engine/exec" \
    --pidfile "$engine/dockerd.pid" --host "unix://$engine/docker.sock" \
    --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
    >"$engine/dockerd.log" 2>&1 &
  our_dockerd_pid=$!
  export DOCKER_HOST=unix://$engine/docker.sock
  for _ in $(seq 1 120); do
    "$docker" info >/dev/null 2>&1 && break
    kill -0 "$our_dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! "$docker" info >/dev/null 2>&1; then
    tail -n 30 "$engine/dockerd.log" >&2
    fail "dockerd did not start (its log above)"
  fi
  say "dockerd is up"
fi

# ---- the base image, without a registry ---------------------------------------------------
# The first URI of this machine's apt sources that ends in /debian (or /debian-security).
apt_uri() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -v '^[[:space:]]*#' |
    grep -Eo '(https?|ftp)://[^[:space:]]+' | sed 's:/*$::' | grep -E "/$1\$" | head -n 1 || true
}

make_base_tarball() {
  local mirror security root=$work/rootfs
  mirror=${FOTA_DEBIAN_MIRROR:-$(apt_uri debian)}
  mirror=${mirror:-http://deb.debian.org/debian}
  security=${FOTA_DEBIAN_SECURITY_MIRROR:-$(apt_uri debian-security)}
  security=${security:-http://deb.debian.org/debian-security}
  command -v debootstrap >/dev/null || fail "no debootstrap (scripts/setup installs it)"
  say "debootstrap --variant=minbase bookworm from $mirror (once; cached in $cache_dir)"
  if ! nice -n 15 debootstrap --variant=minbase bookworm "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    fail "debootstrap failed (its log above)"
  fi
  # What debian:bookworm-slim does: the same archive as the host, no docs or manuals, no apt
  # caches left in the image.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$mirror" "$mirror" "$security" >"$root/etc/apt/sources.list"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  printf 'APT::Install-Recommends "false";\nAcquire::Languages "none";\n' \
    >"$root/etc/apt/apt.conf.d/docker-slim"
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log "$root"/dev/*
  mkdir -p "$cache_dir"
  tar --numeric-owner -C "$root" -cf "$base_tarball.tmp.$$" .
  mv "$base_tarball.tmp.$$" "$base_tarball"
  rm -rf "$root"
}

if "$docker" image inspect "$base_tag" >/dev/null 2>&1; then
  say "base image $base_tag is there"
else
  [ -s "$base_tarball" ] || make_base_tarball
  say "docker import $base_tarball as $base_tag"
  "$docker" import --change 'CMD ["bash"]' "$base_tarball" "$base_tag" >/dev/null ||
    fail "docker import of $base_tarball failed"
fi

# ---- the image: docker/Dockerfile's prebuilt target around the dev preset's binaries ----------
context=$work/context
mkdir -p "$context/docker" "$context/prebuilt/usr/local/bin" "$context/prebuilt/usr/local/lib/fota"
cp "$source_dir/docker/fota-healthcheck" "$source_dir/docker/fota-replica-id" "$context/docker/"
strip -o "$context/prebuilt/usr/local/bin/fota-sim" "$fota_sim"
strip --strip-unneeded -o "$context/prebuilt/usr/local/lib/fota/libfota_mosquitto_plugin.so" \
  "$plugin"
# BuildKit on an engine of our own (much faster on vfs; its build cache goes with the engine), the
# classic builder on another, where BuildKit would leave a build cache behind.
buildkit=0
[ -z "$our_dockerd_pid" ] || buildkit=1
say "docker build --target prebuilt -t $image (DOCKER_BUILDKIT=$buildkit)"
image_built=1
if ! DOCKER_BUILDKIT=$buildkit nice -n 15 "$docker" build --network host --target prebuilt \
  -t "$image" -f "$source_dir/docker/Dockerfile" "$context" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "docker build failed (its log above)"
fi
size=$("$docker" image inspect -f '{{.Size}}' "$image")
say "image $image: $((size / 1000000)) MB"
[ "$("$docker" image inspect -f '{{.Config.User}}' "$image")" = fota ] ||
  fail "the image does not run as the non-root user fota"

# A JUnit file with at least one test case, every one passed.
check_junit() {
  python3 - "$1" <<'EOF' || fail "the JUnit $1 is not all passed"
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
bad = [c.get("name") for c in cases
       if c.find("failure") is not None or c.find("error") is not None
       or c.find("skipped") is not None]
print(f"tests/docker: JUnit {sys.argv[1]}: {len(cases)} test cases, {len(bad)} not passed")
sys.exit(0 if cases and not bad else 1)
EOF
}

# ---- the stack: cloud, two device replicas, the runner --------------------------------------
# Free ports of this machine (the stack uses the host's network; docker/compose.yaml says why).
read -r mqtt_port control_port object_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
reports=$work/reports
mkdir -p "$reports"
chown 10001:10001 "$reports" 2>/dev/null || chmod 0777 "$reports"
export FOTA_IMAGE=$image FOTA_MQTT_PORT=$mqtt_port FOTA_CONTROL_PORT=$control_port \
  FOTA_OBJECT_PORT=$object_port FOTA_SCENARIOS=$source_dir/scenarios FOTA_REPORTS=$reports \
  FOTA_DEVICES_PER_REPLICA=3

say "compose up cloud + 2 devices replicas (ports $mqtt_port, $control_port, $object_port)"
compose_up=1
if ! compose up -d --no-build --scale devices=2 cloud devices >"$work/up.log" 2>&1; then
  cat "$work/up.log" >&2
  compose logs --no-color >&2 || true
  fail "compose up failed"
fi
cloud_id=$(compose ps -q cloud)
health=$("$docker" inspect -f '{{.State.Health.Status}}' "$cloud_id")
[ "$health" = healthy ] || fail "cloud is $health, not healthy"

say "runner: fota-sim run /scenarios/seed-happy-path.yaml against cloud"
if ! compose run --rm --no-deps runner /scenarios/seed-happy-path.yaml >"$work/runner.log" 2>&1; then
  cat "$work/runner.log" >&2
  compose logs --no-color cloud >&2 || true
  fail "the runner failed"
fi
cat "$work/runner.log"

check_junit "$reports/junit.xml"

# Each replica ran its own things: two disjoint thing prefixes in the devices' logs.
prefixes=$(compose logs --no-color devices | grep -Eo 'dev-[0-9a-f]{12}-' | sort -u | wc -l)
[ "$prefixes" -eq 2 ] ||
  fail "expected 2 disjoint thing prefixes from 2 device replicas, saw $prefixes"
running=$(compose ps -q devices | xargs "$docker" inspect -f '{{.State.Running}}' | grep -c true)
[ "$running" -eq 2 ] || fail "expected 2 device replicas running, $running are"
say "2 device replicas running with disjoint thing names"

# README.md's CI example: the image alone, `fota-sim run` on a private stack inside the container
# (no network at all: the stack is on the container's loopback).
say "docker run $image run /scenarios/seed-happy-path.yaml (its own stack, --network none)"
ci_reports=$work/ci-reports
mkdir -p "$ci_reports"
chown 10001:10001 "$ci_reports" 2>/dev/null || chmod 0777 "$ci_reports"
ci_container=${project}_ci
if ! "$docker" run --rm --name "$ci_container" --network none \
  -v "$source_dir/scenarios:/scenarios:ro" -v "$ci_reports:/reports" "$image" \
  run /scenarios/seed-happy-path.yaml --junit /reports/junit.xml >"$work/ci.log" 2>&1; then
  cat "$work/ci.log" >&2
  fail "fota-sim run in the image failed"
fi
cat "$work/ci.log"
check_junit "$ci_reports/junit.xml"
say "passed"
