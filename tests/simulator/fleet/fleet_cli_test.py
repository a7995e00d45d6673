#!/usr/bin/env python3
"""fota-sim fleet and fota-sim report merge through the CLI, one case per CTest.

Usage: fleet_cli_test.py FOTA_SIM CASE [BROKER_ARG...]

BROKER_ARGs go to every command that starts Mosquitto (`fota-sim cloud`, a fleet on the embedded
stack): in a sanitizer build, `--broker-env LD_PRELOAD=...` for the sanitized plugin.

Cases:
  sim          300 devices on sim: every count and histogram agrees with the devices; the same
               seed gives the same metrics twice (virtual time)
  embedded     40 devices on the embedded stack (a private Mosquitto): all updated, bytes exact
  abort        a fleet with half its devices failing: with abortConfig the job is CANCELED after
               the threshold and most devices never get it; without it every device runs it and
               the run exits 1 (failure rate above the default 0)
  limits       --max-p99 below the observed p99 exits 1 and names the limit; above, exits 0
  concurrent   four runs with the same seed at once on sim (the same run id): each has its own
               work folder, all pass (they shared one, and the first to end removed it)
  bad-flags    bad --max-p99, --shard-index past --shard-count, a merge of another run: exit 2
  workers      --workers 2 on the embedded stack: two worker processes, one report
  interrupt    SIGINT to a fleet with workers mid-run: exit 2, the report written (stopped by
               "interrupted"), no worker left running
  worker-dies  a worker killed mid-run: the others finish, the report is written with its
               devices unfinished and the worker named; exit 1
  metrics      --metrics-port 0 on a running fleet: scraped while it runs and parsed strictly
               (scrape_metrics.py); --html writes the page
  tls          MQTT over TLS with a certificate per thing: --stack embedded-tls with 2 workers
               (they reach the parent's stack by URL with its TLS folder), and a fleet against
               `fota-sim cloud --tls` (HTTPS, SigV4 required) with --tls-dir; all updated
  shards       `fota-sim cloud` and 3 shard processes against it at once (as Kubernetes would
               run them), merged with `fota-sim report merge`; the merge agrees with the shards
               exactly and with an unsharded run of the same fleet in every count
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

FOTA = sys.argv[1]
CASE = sys.argv[2]
BROKER_ARGS = sys.argv[3:]
TMP = tempfile.mkdtemp(prefix="fleet-cli-")
PHASES = ["connect", "job_received", "first_byte", "download", "apply", "reboot", "confirmed",
          "end_to_end"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def fleet(*args, expect=0, name="report"):
    path = os.path.join(TMP, name + ".json")
    command = [FOTA, "fleet", "--json", path] + [str(a) for a in args]
    if "--stack" not in args and "--control-url" not in args:
        command += BROKER_ARGS  # the embedded stack starts Mosquitto
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    print("$ " + " ".join(command) + "\n" + result.stdout + result.stderr)
    check(result.returncode == expect,
          "exit %d, expected %d" % (result.returncode, expect))
    report = None
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    return report, result.stdout + result.stderr


def check_consistent(report, devices):
    """Every count of a report of `devices` devices that all updated agrees with the others."""
    m = report["metrics"]
    check(m["devices"] == devices, "devices %d != %d" % (m["devices"], devices))
    check(m["succeeded"] == devices, "succeeded %d != %d" % (m["succeeded"], devices))
    check(m["failed"] == 0, "failed %d" % m["failed"])
    check(report["executions"].get("SUCCEEDED") == devices,
          "executions %s" % report["executions"])
    for phase in PHASES:
        h = m["phases"][phase]
        check(h["count"] == devices, "phase %s count %d" % (phase, h["count"]))
        check(sum(n for _, n in h["buckets"]) == h["count"], "phase %s buckets" % phase)
        check(h["min_ms"] <= h["p50_ms"] <= h["p90_ms"] <= h["p99_ms"] <= h["max_ms"],
              "phase %s quantiles out of order: %s" % (phase, h))
    for milestone in ["started", "connected", "job", "downloaded", "rebooted", "done"]:
        total = sum(m["timeline"]["milestones"][milestone])
        check(total == devices, "timeline %s holds %d" % (milestone, total))
    check(sum(m["timeline"]["milestones"]["failed"]) == 0, "timeline failed")
    image = report["config"].get("image_size", 65536)
    check(m["download_bytes"] >= devices * image,
          "downloaded %d bytes for %d devices" % (m["download_bytes"], devices))
    check(report["stopped_by"] == "done", "stopped by " + report["stopped_by"])


def case_sim():
    first, _ = fleet("--stack", "sim", "--count", 300, "--seed", 7, name="first")
    check_consistent(first, 300)
    second, _ = fleet("--stack", "sim", "--count", 300, "--seed", 7, name="second")
    check(first["metrics"] == second["metrics"], "the same seed gave other metrics on sim")
    check(first["executions"] == second["executions"], "executions differ between runs")


def case_embedded():
    report, _ = fleet("--count", 40, "--image-size", 32768, "--timeout", "3m")
    check_consistent(report, 40)
    check(report["stack"] == "embedded", "stack " + report["stack"])
    # 32 KiB images in 4 KiB Range requests: 8 requests a device and its bytes, once each.
    check(report["metrics"]["download_bytes"] == 40 * report["config"]["image_bytes"],
          "downloaded %d bytes" % report["metrics"]["download_bytes"])


def case_abort():
    common = ["--stack", "sim", "--count", 100, "--failing", 50, "--max-per-minute", 20]
    aborted, out = fleet(*common, "--abort-percent", 20, "--abort-min", 10,
                         "--max-failure-rate", 1, name="aborted")
    check(aborted["stopped_by"] == "aborted", "stopped by " + aborted["stopped_by"])
    check(aborted["jobs"] == {"CANCELED": 1}, "jobs %s" % aborted["jobs"])
    executed = aborted["executions"].get("SUCCEEDED", 0) + aborted["executions"].get("FAILED", 0)
    check(10 <= executed < 100, "%d executions ran before the abort" % executed)
    check(aborted["metrics"]["failed"] * 100 >= 20 * executed, "abort below its threshold")
    check("job         1 CANCELED" in out, "the summary does not show the cancelled job")
    check(aborted["metrics"]["errors"].get("failed:flash_erase_failed", 0) ==
          aborted["metrics"]["failed"], "error classes %s" % aborted["metrics"]["errors"])

    everyone, out = fleet(*common, expect=1, name="everyone")
    check(everyone["stopped_by"] == "done", "stopped by " + everyone["stopped_by"])
    check(everyone["executions"].get("FAILED") == 50 and
          everyone["executions"].get("SUCCEEDED") == 50, "executions %s" % everyone["executions"])
    check(re.search(r"limit +failure_rate: 0\.500 above 0\.000 +FAILED", out),
          "the failed limit is not in the summary")


def case_limits():
    report, out = fleet("--stack", "sim", "--count", 20, "--max-p99", "end_to_end=1ms",
                        expect=1, name="tight")
    verdict = [l for l in report["limits"] if l["name"] == "p99:end_to_end"]
    check(len(verdict) == 1 and not verdict[0]["passed"], "limits %s" % report["limits"])
    check("p99:end_to_end" in out and "FAILED" in out, "the summary does not name the limit")
    report, _ = fleet("--stack", "sim", "--count", 20, "--max-p99", "end_to_end=10m",
                      "--max-p99", "download=1m", name="loose")
    check(all(l["passed"] for l in report["limits"]) and len(report["limits"]) == 3,
          "limits %s" % report["limits"])


def case_concurrent():
    runs = []
    for i in range(4):
        path = os.path.join(TMP, "same-%d.json" % i)
        command = [FOTA, "fleet", "--stack", "sim", "--count", 60 + 20 * i, "--json", path]
        runs.append((subprocess.Popen([str(c) for c in command], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True), path, 60 + 20 * i))
    for process, path, count in runs:
        out, _ = process.communicate(timeout=300)
        print(out)
        check(process.returncode == 0, "a run exited %d" % process.returncode)
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        check(report["run_id"] == "fleet-1", "run id " + report["run_id"])
        check_consistent(report, count)


def case_bad_flags():
    _, out = fleet("--stack", "sim", "--max-p99", "warp=1s", expect=2, name="b1")
    check("--max-p99 'warp=1s' must be PHASE=DURATION" in out, "no reason given")
    _, out = fleet("--stack", "sim", "--shard-index", 3, "--shard-count", 2, expect=2, name="b2")
    check("--shard-index must be below --shard-count" in out, "no reason given")
    _, out = fleet("--stack", "moon", expect=2, name="b3")
    check("--stack must be embedded, embedded-tls, sim or aws" in out, "no reason given")
    a, _ = fleet("--stack", "sim", "--count", 4, "--run-id", "A", name="a")
    b, _ = fleet("--stack", "sim", "--count", 4, "--run-id", "B", name="b")
    result = subprocess.run([FOTA, "report", "merge", os.path.join(TMP, "a.json"),
                             os.path.join(TMP, "b.json")], capture_output=True, text=True)
    check(result.returncode == 2 and "reports of different runs: 'A' and 'B'" in result.stderr,
          "merge of two runs: exit %d, %s" % (result.returncode, result.stderr))
    with open(os.path.join(TMP, "broken.json"), "w", encoding="utf-8") as f:
        f.write('{"format": "fota-sim-fleet-report", "version": 1, "run_id": 3}')
    result = subprocess.run([FOTA, "report", "merge", os.path.join(TMP, "broken.json")],
                            capture_output=True, text=True)
    check(result.returncode == 2 and "broken.json: a fleet report needs" in result.stderr,
          "broken report: exit %d, %s" % (result.returncode, result.stderr))


def case_workers():
    report, out = fleet("--count", 40, "--workers", 2, "--image-size", 16384, "--timeout", "3m")
    check_consistent(report, 40)
    check([s["index"] for s in report["shards"]] == [0, 1], "shards %s" % report["shards"])
    check([s["devices"] for s in report["shards"]] == [20, 20], "shards %s" % report["shards"])
    check(report["jobs"] == {"COMPLETED": 2}, "jobs %s" % report["jobs"])
    check("2 workers" in out and "2 processes" in out, "the workers are not in the output")


def workers_of(run_id):
    """Processes whose command line names this run (the workers get --run-id)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if run_id.encode() in args and b"--progress-json" in args:
            found.append(int(pid))
    return found


def start_with_two_workers(run_id, path, *args):
    """A fleet of two workers on the embedded stack, once both workers run."""
    command = [FOTA, "fleet", "--workers", 2, "--rate", 4, "--run-id", run_id, "--json", path,
               *args] + BROKER_ARGS
    process = subprocess.Popen([str(c) for c in command], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while len(workers_of(run_id)) < 2:
        check(time.time() < deadline and process.poll() is None, "the workers did not start")
        time.sleep(0.1)
    return process


def case_interrupt():
    path = os.path.join(TMP, "interrupted.json")
    process = start_with_two_workers("interrupted-run", path, "--count", 40, "--timeout", "5m")
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    print(out)
    check(process.returncode == 2, "exit %d after SIGINT, expected 2" % process.returncode)
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    check(report["stopped_by"] == "interrupted", "stopped by " + report["stopped_by"])
    check(0 < report["metrics"]["started"] < 40, "started %d" % report["metrics"]["started"])
    check(len(report["shards"]) == 2, "shards %s" % report["shards"])
    check(workers_of("interrupted-run") == [], "workers left: %s" % workers_of("interrupted-run"))


def case_worker_dies():
    path = os.path.join(TMP, "died.json")
    process = start_with_two_workers("dying-run", path, "--count", 20, "--image-size", 16384,
                                     "--timeout", "3m")
    victim = max(workers_of("dying-run"))
    os.kill(victim, signal.SIGKILL)
    out, _ = process.communicate(timeout=300)
    print(out)
    check(process.returncode == 1, "exit %d, expected 1 (a limit failed)" % process.returncode)
    check("killed by signal 9" in out, "the dead worker is not named")
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    m = report["metrics"]
    check(m["devices"] == 20, "devices %d" % m["devices"])
    check(m["errors"].get("worker_died") == 1, "errors %s" % m["errors"])
    check(report["stopped_by"].startswith("error: worker ") and "signal 9" in report["stopped_by"],
          "stopped by " + report["stopped_by"])
    check(m["succeeded"] >= 10 and m["succeeded"] < 20, "succeeded %d" % m["succeeded"])
    check(len(report["shards"]) == 2, "shards %s" % report["shards"])


def case_metrics():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scrape_metrics  # the strict exposition parser of the MetricsServer test
    import urllib.request
    html = os.path.join(TMP, "run.html")
    command = [FOTA, "fleet", "--count", 20, "--rate", 5, "--image-size", 16384,
               "--metrics-port", 0, "--html", html, "--json", os.path.join(TMP, "m.json")] + BROKER_ARGS
    process = subprocess.Popen([str(c) for c in command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    url = None
    for line in process.stderr:
        match = re.search(r"Prometheus metrics at (http://\S+)", line)
        if match:
            url = match.group(1)
            break
    check(url is not None, "no metrics URL printed")
    scrapes = []
    while process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                scrapes.append(response.read().decode())
        except OSError:
            pass  # the run ended between poll() and the scrape
        time.sleep(0.5)
    out = process.stdout.read() + process.stderr.read()
    print(out)
    check(process.returncode == 0, "exit %d" % process.returncode)
    check(len(scrapes) >= 2, "%d scrapes while running" % len(scrapes))
    started = []
    for text in scrapes:
        if text.startswith("# no snapshot yet"):
            continue
        families = scrape_metrics.parse_exposition(text)
        started.append(scrape_metrics.value_of(families, "fota_fleet_milestone_devices_total",
                                               "fota_fleet_milestone_devices_total",
                                               milestone="started"))
    check(len(started) >= 2 and started == sorted(started) and started[0] < 20,
          "devices started, scrape by scrape: %s" % started)
    with open(html, encoding="utf-8") as f:
        page = f.read()
    check("<svg" in page or "data-drawn" in page, "the HTML report has no plot")


def start_cloud(*args):
    log = open(os.path.join(TMP, "cloud.log"), "w+", encoding="utf-8")
    cloud = subprocess.Popen([FOTA, "cloud", "--bucket", "firmware", *args] + BROKER_ARGS,
                             stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while True:
        log.seek(0)
        text = log.read()
        if "Stop with Ctrl-C" in text:
            break
        if cloud.poll() is not None or time.time() > deadline:
            fail("fota-sim cloud did not start:\n" + text)
        time.sleep(0.1)
    urls = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("mqtt", "control-plane", "object-server", "tls"):
            urls[parts[0]] = parts[1]
    return cloud, urls


def stop_cloud(cloud):
    cloud.send_signal(signal.SIGINT)
    try:
        cloud.wait(timeout=30)
    except subprocess.TimeoutExpired:
        cloud.kill()


def case_tls():
    report, out = fleet("--stack", "embedded-tls", "--count", 20, "--workers", 2,
                        "--image-size", 16384, "--timeout", "3m", *BROKER_ARGS, name="workers")
    check_consistent(report, 20)
    check("2 workers" in out and "2 processes" in out, "the workers are not in the output")
    cloud, urls = start_cloud("--tls", "--tls-dir", os.path.join(TMP, "tls"))
    try:
        check(urls["mqtt"].startswith("ssl://") and urls["control-plane"].startswith("https://")
              and urls["object-server"].startswith("https://"), "endpoints %s" % urls)
        stack = ["--control-url", urls["control-plane"], "--mqtt-url", urls["mqtt"],
                 "--object-url", urls["object-server"]]
        report, _ = fleet(*stack, "--tls-dir", urls["tls"], "--count", 10, "--timeout", "3m",
                          "--image-size", 16384, name="cloud-tls")
        check_consistent(report, 10)
        # Without the folder the broker's TLS is refused before anything starts.
        _, out = fleet(*stack, "--count", 1, expect=2, name="no-tls-dir")
        check("speaks TLS: give the stack's TLS folder" in out, "no reason given:\n" + out)
    finally:
        stop_cloud(cloud)


def case_shards():
    cloud, urls = start_cloud()
    try:
        stack = ["--control-url", urls["control-plane"], "--mqtt-url", urls["mqtt"],
                 "--object-url", urls["object-server"], "--count", 30, "--timeout", "3m",
                 "--image-size", 16384]
        shards = []
        for index in range(3):
            path = os.path.join(TMP, "shard-%d.json" % index)
            command = [FOTA, "fleet", *map(str, stack), "--shard-index", str(index), "--shard-count", "3",
                       "--run-id", "sharded", "--json", path]
            shards.append((subprocess.Popen(command, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True), path))
        reports = []
        for process, path in shards:
            out, _ = process.communicate(timeout=600)
            print(out)
            check(process.returncode == 0, "a shard exited %d" % process.returncode)
            with open(path, encoding="utf-8") as f:
                reports.append(json.load(f))
        merged_path = os.path.join(TMP, "merged.json")
        result = subprocess.run([FOTA, "report", "merge", *(p for _, p in shards), "--json",
                                 merged_path], capture_output=True, text=True)
        print(result.stdout + result.stderr)
        check(result.returncode == 0, "merge exited %d" % result.returncode)
        with open(merged_path, encoding="utf-8") as f:
            merged = json.load(f)
        check_consistent(merged, 30)
        check(sorted(merged["job_ids"]) == ["sharded-0", "sharded-1", "sharded-2"],
              "jobs %s" % merged["job_ids"])
        check([s["index"] for s in merged["shards"]] == [0, 1, 2], "shards %s" % merged["shards"])
        # Merged, not averaged: every bucket of every phase is the sum of the shards' buckets.
        for phase in PHASES:
            buckets = {}
            for report in reports:
                for low, n in report["metrics"]["phases"][phase]["buckets"]:
                    buckets[low] = buckets.get(low, 0) + n
            got = {low: n for low, n in merged["metrics"]["phases"][phase]["buckets"]}
            check(got == buckets, "phase %s buckets are not the shards' sum" % phase)
            check(merged["metrics"]["phases"][phase]["max_ms"] ==
                  max(r["metrics"]["phases"][phase]["max_ms"] for r in reports), "max")
        # The same fleet unsharded against the same cloud: the same counts.
        whole, _ = fleet(*stack, "--run-id", "whole", name="whole")
        for key in ["devices", "succeeded", "failed", "download_bytes", "http_requests"]:
            check(whole["metrics"][key] == merged["metrics"][key],
                  "%s: unsharded %s, merged %s" % (key, whole["metrics"][key],
                                                  merged["metrics"][key]))
        check(whole["executions"] == merged["executions"], "executions differ")
        for phase in PHASES:
            check(whole["metrics"]["phases"][phase]["count"] ==
                  merged["metrics"]["phases"][phase]["count"], "phase %s count" % phase)
    finally:
        stop_cloud(cloud)


CASES = {"sim": case_sim, "embedded": case_embedded, "abort": case_abort, "limits": case_limits,
         "bad-flags": case_bad_flags, "concurrent": case_concurrent, "shards": case_shards, "workers": case_workers,
         "interrupt": case_interrupt, "metrics": case_metrics, "worker-dies": case_worker_dies,
         "tls": case_tls}
if CASE not in CASES:
    fail("unknown case %s (cases: %s)" % (CASE, ", ".join(CASES)))
CASES[CASE]()
print("PASS: " + CASE)
