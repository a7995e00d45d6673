#!/usr/bin/env python3
"""Stack sim against stack embedded, measured in one run of this script (ratios, not absolutes).

1. The library: every scenarios/*.yaml once on sim and once on embedded (each its own `fota-sim
   run`), wall time of each and the totals; the ratio embedded/sim.
2. A timer-bound scenario (fb-11, 130 s of protocol time): how many times faster than real time
   sim runs it (virtual seconds / wall seconds), and the ratio to its embedded run.
3. A fleet on sim: N devices through the seed's flow with a 256 KiB image (a scenario made from
   scenarios/seed-happy-path-100.yaml with count N): wall time and peak RSS of the process.

Timing figures belong here, never in pass/fail tests. Examples:

    bench/sim/run_sim_bench.py --build build/dev                 # everything (about 20 min)
    bench/sim/run_sim_bench.py --build build/dev --skip-embedded --devices 1000
    bench/sim/run_sim_bench.py --build build/dev --fleet-only --devices 1000,10000
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(command):
    """Runs command; returns (exit code, wall seconds, resource usage, output); the usage's
    ru_maxrss is the peak RSS in KiB, ru_utime + ru_stime the CPU seconds."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.monotonic() - started, usage, output


def scenario_seconds(json_file):
    with open(json_file, encoding="utf-8") as f:
        return json.load(f)["scenarios"][0]["seconds"]


def library(fota_sim, stacks, work):
    files = sorted(os.path.join(ROOT, "scenarios", f)
                   for f in os.listdir(os.path.join(ROOT, "scenarios")) if f.endswith(".yaml"))
    totals = {stack: 0.0 for stack in stacks}
    failures = []
    print(f"1. the library ({len(files)} scenarios), wall seconds per run:")
    print(f"   {'scenario':50}" + "".join(f"{s:>12}" for s in stacks))
    for file in files:
        row = []
        for stack in stacks:
            code, wall, _, _ = run([fota_sim, "run", file, "--stack", stack,
                                    "--json", os.path.join(work, "lib.json")])
            if code != 0:
                failures.append(f"{os.path.basename(file)} on {stack}: exit {code}")
            totals[stack] += wall
            row.append(wall)
        print(f"   {os.path.basename(file)[:-5]:50}" + "".join(f"{w:12.2f}" for w in row),
              flush=True)
    print("   " + "total".ljust(50) + "".join(f"{totals[s]:12.1f}" for s in stacks))
    if "embedded" in totals and totals["sim"] > 0:
        print(f"   embedded / sim: {totals['embedded'] / totals['sim']:.0f}x")
    return failures


def timer_bound(fota_sim, stacks, work):
    file = os.path.join(ROOT, "scenarios", "fb-11-failed-reconnect-not-reported-as-done.yaml")
    print("2. fb-11 (timer-bound):")
    walls = {}
    failures = []
    for stack in stacks:
        out = os.path.join(work, f"fb11-{stack}.json")
        code, wall, _, _ = run([fota_sim, "run", file, "--stack", stack, "--json", out])
        if code != 0:
            failures.append(f"fb-11 on {stack}: exit {code}")
            continue
        walls[stack] = wall
        virtual = scenario_seconds(out)
        print(f"   {stack:10} {virtual:8.1f} s of scenario time in {wall:8.2f} s wall: "
              f"{virtual / wall:8.0f}x real time")
    if "embedded" in walls and "sim" in walls:
        print(f"   embedded / sim: {walls['embedded'] / walls['sim']:.0f}x")
    return failures


def fleet(fota_sim, count, work):
    template = os.path.join(ROOT, "scenarios", "seed-happy-path-100.yaml")
    with open(template, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"name: seed-happy-path-100", f"name: sim-fleet-{count}", text)
    text = text.replace("count: 100,", f"count: {count},")
    text = text.replace("size: 200KiB", "size: 256KiB").replace("bytes: 200KiB", "bytes: 256KiB")
    text = text.replace("deadline: 5m", "deadline: 60m").replace("timeout: 3m", "timeout: 50m")
    text = text.replace("timeout: 60s", "timeout: 10m")
    file = os.path.join(work, f"sim-fleet-{count}.yaml")
    with open(file, "w", encoding="utf-8") as f:
        f.write(text)
    out = os.path.join(work, "fleet.json")
    print(f"3. {count} devices, the seed's flow, 256 KiB image, on sim:", flush=True)
    code, wall, usage, output = run([fota_sim, "run", file, "--stack", "sim", "--json", out])
    if code != 0:
        print(output[-3000:])
        return [f"the fleet of {count} on sim: exit {code}"]
    virtual = scenario_seconds(out)
    rss_kib = usage.ru_maxrss
    cpu = usage.ru_utime + usage.ru_stime
    # CPU seconds too: on a shared machine the wall time says more about the neighbours.
    print(f"   {virtual:.1f} s of scenario time in {wall:.1f} s wall ({cpu:.1f} s CPU: "
          f"{usage.ru_utime:.1f} user, {usage.ru_stime:.1f} system); peak RSS "
          f"{rss_kib / 1024:.0f} MiB ({rss_kib / count:.0f} KiB per device)")
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/dev", help="the build folder (default build/dev)")
    parser.add_argument("--skip-embedded", action="store_true",
                        help="sim only (no ratios to embedded; much faster)")
    parser.add_argument("--devices", default="1000",
                        help="devices in the fleet measurement, comma-separated for several "
                             "fleets (default 1000; 0 skips it)")
    parser.add_argument("--fleet-only", action="store_true",
                        help="only the fleet measurement (no library, no fb-11)")
    args = parser.parse_args()
    fota_sim = os.path.join(args.build, "simulator", "fota-sim")
    if not os.access(fota_sim, os.X_OK):
        sys.exit(f"run_sim_bench.py: {fota_sim} not found; build first or pass --build")
    try:
        counts = [int(n) for n in args.devices.split(",") if int(n) > 0]
    except ValueError:
        sys.exit(f"run_sim_bench.py: --devices '{args.devices}' is not a comma-separated list "
                 "of device counts")
    stacks = ["sim"] if args.skip_embedded else ["sim", "embedded"]
    failures = []
    with tempfile.TemporaryDirectory(prefix="fota-sim-bench-") as work:
        if not args.fleet_only:
            failures += library(fota_sim, stacks, work)
            failures += timer_bound(fota_sim, stacks, work)
        for count in counts:
            failures += fleet(fota_sim, count, work)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
