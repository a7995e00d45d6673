#!/usr/bin/env python3
"""CTest fleet_floor_counts: fota-fleet-floor (bench/fleet/floor) end to end on a real embedded
stack, its report's counts checked, so the floor the fleet is measured against cannot rot in
silence. Every client must have connected, taken the job, downloaded exactly the image in the
device's Range requests, had SUCCEEDED accepted, rebooted and reconnected; the cloud must count
every execution SUCCEEDED. Not timed: latencies are printed, never checked.

    check_floor.py --tool build/dev/bench/fleet/floor/fota-fleet-floor --plugin PLUGIN --count 20
        [--fota-sim build/dev/simulator/fota-sim]
"""
import argparse
import copy
import json
import math
import os
import subprocess
import sys
import tempfile


def problems(report, count):
    """What is wrong with a floor report of `count` clients (empty: nothing)."""
    found = []
    clients = report.get("clients", {})
    for key in ("count", "connected", "job_received", "succeeded", "confirmed", "finished",
                "full_image"):
        if clients.get(key) != count:
            found.append(f"clients.{key} is {clients.get(key)}, expected {count}")
    if clients.get("failures"):
        found.append(f"failures: {clients['failures']}")
    config = report.get("config", {})
    image, fragment = config.get("image_bytes", 0), config.get("fragment_size", 0)
    if report.get("download_bytes") != count * image or image == 0:
        found.append(f"download_bytes {report.get('download_bytes')}, expected {count} x {image}")
    # Two shadow reports (before each connect) and the image's Range requests, per client.
    requests = count * (2 + math.ceil(image / fragment)) if fragment else -1
    if report.get("http_requests") != requests:
        found.append(f"http_requests {report.get('http_requests')}, expected {requests}")
    succeeded = report.get("executions", {}).get("numberOfSucceededThings")
    if succeeded != count:
        found.append(f"the cloud counts {succeeded} executions SUCCEEDED, expected {count}")
    if report.get("latency_ms", {}).get("end_to_end", {}).get("count") != count:
        found.append("end_to_end has not one sample per client")
    if report.get("stopped_by") != "done":
        found.append(f"stopped_by {report.get('stopped_by')!r}")
    return found


def self_check(report, count):
    """The check must refuse a report short of one client in any count."""
    for mutate in (lambda r: r["clients"].__setitem__("finished", count - 1),
                   lambda r: r["clients"].__setitem__("full_image", count - 1),
                   lambda r: r.__setitem__("download_bytes", r["download_bytes"] - 1),
                   lambda r: r["executions"].__setitem__("numberOfSucceededThings", count - 1),
                   lambda r: r.__setitem__("http_requests", r["http_requests"] + 1)):
        broken = copy.deepcopy(report)
        mutate(broken)
        if not problems(broken, count):
            sys.exit("check_floor.py: the check accepted a broken report")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--fota-sim", help="run the stack as `fota-sim cloud` (as run_floor.py)")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--broker-env", action="append", default=[])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-floor-test-") as work:
        report_file = os.path.join(work, "floor.json")
        command = [options.tool, "--count", str(options.count), "--rate", "100",
                   "--image-size", "20000", "--plugin", options.plugin, "--json", report_file,
                   "--timeout", "120", "--work-dir", os.path.join(work, "stack")]
        if options.fota_sim:
            command += ["--fota-sim", options.fota_sim]
        for env in options.broker_env:
            command += ["--broker-env", env]
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if not os.path.exists(report_file):
            print(run.stdout, run.stderr)
            sys.exit(f"fota-fleet-floor wrote no report (exit {run.returncode})")
        report = json.load(open(report_file, encoding="utf-8"))
    found = problems(report, options.count)
    if run.returncode != 0 and not found:
        found.append(f"exit code {run.returncode}")
    if found:
        print(json.dumps(report, indent=2))
        sys.exit("fota-fleet-floor: " + "; ".join(found))
    self_check(report, options.count)
    e2e = report["latency_ms"]["end_to_end"]
    print(f"{options.count} clients updated; end to end p50 {e2e['p50']:.0f} ms, "
          f"p99 {e2e['p99']:.0f} ms (printed, not checked)")


if __name__ == "__main__":
    main()
