#!/usr/bin/env python3
"""The fleet against its floor (issue 14, point 4): one invocation, the same N, rate and image.

Runs `fota-fleet-floor` (bench/fleet/floor: the same MQTT messages through the same broker by
a minimal client, the same Range requests by libcurl; its stack is `fota-sim cloud`, a child
process) and then `fota-sim fleet` (its embedded stack, started by its coordinator process),
each on a fresh stack of its own, one after the other, each under /usr/bin/time -v (so CPU is the
process's and its children's: Mosquitto, the fleet's worker processes). Prints wall time, CPU,
the per-phase and end-to-end p50/p99 of both and the ratios fleet/floor. Figures are
measurements, never pass/fail criteria.

    bench/fleet/run_floor.py --build build/dev --count 1000 [--rate 500] [--out DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time


def timed(command, log_path, env):
    """Runs command under /usr/bin/time -v; returns (exit code, wall s, cpu s, peak RSS KiB)."""
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.run(["/usr/bin/time", "-v"] + command, stdout=log,
                              stderr=subprocess.STDOUT, env=env, check=False).returncode
    wall = time.monotonic() - started
    text = open(log_path, encoding="utf-8", errors="replace").read()

    def field(name):
        match = re.search(re.escape(name) + r":\s*([0-9.]+)", text)
        return float(match.group(1)) if match else float("nan")
    cpu = field("User time (seconds)") + field("System time (seconds)")
    return code, wall, cpu, field("Maximum resident set size (kbytes)")


def ratio(fleet, floor):
    return fleet / floor if floor else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/dev")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500,
                        help="devices (clients) started per second, as fota-sim fleet --rate")
    parser.add_argument("--image-size", type=int, default=65536)
    parser.add_argument("--workers", type=int, default=0,
                        help="fota-sim fleet --workers (0: its default, one per 250 devices)")
    parser.add_argument("--mqtt-client", choices=["asio", "paho"],
                        help="fota-sim fleet --mqtt-client (default: the fleet's own)")
    parser.add_argument("--out", help="folder for the reports and logs (default: a new one)")
    parser.add_argument("--perf", action="store_true",
                        help="perf record the fleet run too (OUT/fleet.perf.data, with children)")
    parser.add_argument("--skip-fleet", action="store_true", help="run the floor only")
    options = parser.parse_args()

    out = options.out or tempfile.mkdtemp(prefix="fota-floor-")
    os.makedirs(out, exist_ok=True)
    fota_sim = os.path.join(options.build, "simulator", "fota-sim")
    floor_tool = os.path.join(options.build, "bench", "fleet", "floor", "fota-fleet-floor")
    plugin = os.path.abspath(os.path.join(options.build, "cloud", "mqtt_plugin",
                                          "libfota_mosquitto_plugin.so"))
    env = dict(os.environ, FOTA_MOSQUITTO_PLUGIN=plugin)
    common = ["--count", str(options.count), "--rate", f"{options.rate:g}",
              "--image-size", str(options.image_size)]

    load = os.getloadavg()[0]
    floor_json = os.path.join(out, "floor.json")
    floor_run = timed([floor_tool] + common + ["--plugin", plugin, "--fota-sim", fota_sim,
                                               "--json", floor_json],
                      os.path.join(out, "floor.log"), env)
    results = {"floor": (floor_run, json.load(open(floor_json)) if os.path.exists(floor_json)
                         else None, load)}
    if not options.skip_fleet:
        load = os.getloadavg()[0]
        fleet_json = os.path.join(out, "fleet.json")
        command = [fota_sim, "fleet"] + common + ["--workers", str(options.workers),
                                                  "--json", fleet_json]
        if options.mqtt_client:
            command += ["--mqtt-client", options.mqtt_client]
        if options.perf:
            command = ["perf", "record", "-F", "499", "-g", "--inherit", "-o",
                       os.path.join(out, "fleet.perf.data"), "--"] + command
        fleet_run = timed(command, os.path.join(out, "fleet.log"), env)
        results["fleet"] = (fleet_run, json.load(open(fleet_json))
                            if os.path.exists(fleet_json) else None, load)
    report(results, options, out)
    ok = all(run[0] == 0 and data is not None for run, data, _ in results.values())
    return 0 if ok else 1


def phase(data, kind, name, quantile):
    if data is None:
        return float("nan")
    if kind == "floor":
        return data["latency_ms"].get(name, {}).get(quantile, float("nan"))
    phases = data["metrics"]["phases"]
    if name == "reboot_confirmed":
        return phases["reboot"][quantile + "_ms"] + phases["confirmed"][quantile + "_ms"]
    return phases.get(name, {}).get(quantile + "_ms", float("nan"))


def report(results, options, out):
    rows = {}
    for kind, ((code, wall, cpu, rss), data, load) in results.items():
        if data is None:
            print(f"{kind}: no report (exit {code}); see {out}/{kind}.log")
            continue
        if kind == "floor":
            done = data["clients"]["finished"]
            run_wall = data["wall_s"]
        else:
            done = data["metrics"]["succeeded"]
            run_wall = data["duration_s"]
        rows[kind] = {"exit": code, "done": done, "process_wall_s": wall, "run_wall_s": run_wall,
                      "cpu_s": cpu, "peak_rss_kib": rss, "load": load,
                      "e2e_p50_ms": phase(data, kind, "end_to_end", "p50"),
                      "e2e_p99_ms": phase(data, kind, "end_to_end", "p99")}
    print(f"N={options.count} rate={options.rate:g}/s image={options.image_size} B  (out: {out})")
    print(f"{'':8}{'done':>7}{'wall run':>10}{'wall proc':>11}{'CPU':>9}{'e2e p50':>10}"
          f"{'e2e p99':>10}{'load':>6}")
    for kind, row in rows.items():
        print(f"{kind:8}{row['done']:>7}{row['run_wall_s']:>9.1f}s{row['process_wall_s']:>10.1f}s"
              f"{row['cpu_s']:>8.1f}s{row['e2e_p50_ms'] / 1000:>9.2f}s"
              f"{row['e2e_p99_ms'] / 1000:>9.2f}s{row['load']:>6.1f}")
    if "floor" in rows and "fleet" in rows:
        floor, fleet = rows["floor"], rows["fleet"]
        print(f"{'ratio':8}{'':>7}{ratio(fleet['run_wall_s'], floor['run_wall_s']):>9.2f}x"
              f"{ratio(fleet['process_wall_s'], floor['process_wall_s']):>10.2f}x"
              f"{ratio(fleet['cpu_s'], floor['cpu_s']):>8.2f}x"
              f"{ratio(fleet['e2e_p50_ms'], floor['e2e_p50_ms']):>9.2f}x"
              f"{ratio(fleet['e2e_p99_ms'], floor['e2e_p99_ms']):>9.2f}x")
        print("phases p50 / p99 (ms)       floor              fleet")
        for name in ("connect", "job_received", "first_byte", "download", "apply",
                     "reboot_confirmed", "end_to_end"):
            a = [phase(results[k][1], k, name, q) for k in ("floor", "fleet") for q in ("p50", "p99")]
            print(f"  {name:22}{a[0]:>9.0f} /{a[1]:>7.0f}  {a[2]:>9.0f} /{a[3]:>7.0f}")
        floor_cpu = results["floor"][1]["cpu_s"]
        print(f"floor CPU: own {floor_cpu['floor_at_exit']:.1f} s (the clients), stack "
              f"{floor_cpu['children']:.1f} s (fota-sim cloud: Mosquitto, object server)")
    with open(os.path.join(out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump({"count": options.count, "rate": options.rate,
                   "image_size": options.image_size, "runs": rows}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
