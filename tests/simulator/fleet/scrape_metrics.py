#!/usr/bin/env python3
"""A real scrape of MetricsServer: `fleet_report_sample serve NAME` serves prometheus_text of a
sample report on a free port; this script GETs /metrics over HTTP, parses the exposition strictly
(text format 0.0.4), and checks its values against the report's JSON. Another path must be 404.

Strict means: every line is a comment, # HELP, # TYPE or a sample `name{labels} value`; names
match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*, label values use only the
escapes \\\\ \\" \\n; each family has one HELP and one TYPE before its samples, and its samples
form one group; no series twice; a histogram's buckets are cumulative (le ascending, counts
non-decreasing) with +Inf equal to _count, and _sum present.

Usage: scrape_metrics.py --tool FLEET_REPORT_SAMPLE --work DIR
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request

SAMPLES = ["full", "hostile", "empty"]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(Exception):
    pass


def parse_labels(text, at, line_number):
    """Parses {name="value",...} from text[at] == '{'; returns (labels, index after '}')."""
    labels = {}
    i = at + 1
    while True:
        if i < len(text) and text[i] == "}":
            return labels, i + 1
        match = LABEL_NAME.match(text, i)
        if not match:
            raise ExpositionError("line %d: bad label name at column %d" % (line_number, i + 1))
        name = match.group(0)
        if name.startswith("__"):
            raise ExpositionError("line %d: label %s is reserved" % (line_number, name))
        i = match.end()
        if text[i:i + 2] != '="':
            raise ExpositionError("line %d: label %s needs =\"value\"" % (line_number, name))
        i += 2
        value = []
        while True:
            if i >= len(text):
                raise ExpositionError("line %d: unterminated value of %s" % (line_number, name))
            c = text[i]
            if c == '"':
                i += 1
                break
            if c == "\\":
                escape = text[i + 1:i + 2]
                if escape not in ("\\", '"', "n"):
                    raise ExpositionError("line %d: bad escape \\%s in label %s"
                                          % (line_number, escape, name))
                value.append("\n" if escape == "n" else escape)
                i += 2
                continue
            if c == "\n":
                raise ExpositionError("line %d: raw line feed in label %s" % (line_number, name))
            value.append(c)
            i += 1
        if name in labels:
            raise ExpositionError("line %d: label %s twice" % (line_number, name))
        labels[name] = "".join(value)
        if i < len(text) and text[i] == ",":
            i += 1
        elif i >= len(text) or text[i] != "}":
            raise ExpositionError("line %d: expected , or } after label %s" % (line_number, name))


def parse_value(text, line_number):
    if not re.fullmatch(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|Inf|NaN)", text):
        raise ExpositionError("line %d: %r is not a sample value" % (line_number, text))
    return float(text)


def family_of(name, families):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
            return base
    return name


def parse_exposition(text):
    """{family: {"help", "type", "samples": [(name, labels, value)]}}, or ExpositionError."""
    if text and not text.endswith("\n"):
        raise ExpositionError("the text does not end with a line feed")
    families = {}
    finished = set()  # families whose group of lines has ended
    current = None
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_NAME.fullmatch(name):
                    raise ExpositionError("line %d: bad metric name %r" % (number, name))
                family = families.setdefault(name, {"samples": []})
                key = parts[1].lower()
                if key in family:
                    raise ExpositionError("line %d: second # %s of %s" % (number, parts[1], name))
                if family["samples"]:
                    raise ExpositionError("line %d: # %s of %s after its samples"
                                          % (number, parts[1], name))
                if key == "type" and (len(parts) != 4 or parts[3] not in TYPES):
                    raise ExpositionError("line %d: bad type in %r" % (number, line))
                family[key] = parts[3] if len(parts) == 4 else ""
                if current is not None and current != name:
                    finished.add(current)
                current = name
            continue
        match = METRIC_NAME.match(line)
        if not match:
            raise ExpositionError("line %d: no metric name in %r" % (number, line))
        name = match.group(0)
        i = match.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, number)
        rest = line[i:]
        if not rest.startswith(" "):
            raise ExpositionError("line %d: no space before the value" % number)
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise ExpositionError("line %d: expected a value and an optional timestamp" % number)
        value = parse_value(fields[0], number)
        base = family_of(name, families)
        family = families.get(base)
        if family is None or "help" not in family or "type" not in family:
            raise ExpositionError("line %d: sample of %s without # HELP and # TYPE before it"
                                  % (number, base))
        if base in finished:
            raise ExpositionError("line %d: samples of %s are not one group" % (number, base))
        if current is not None and current != base:
            finished.add(current)
        current = base
        if any(n == name and l == labels for n, l, _ in family["samples"]):
            raise ExpositionError("line %d: series %s%s twice" % (number, name, labels))
        family["samples"].append((name, labels, value))
    for name, family in families.items():
        if "help" not in family or "type" not in family:
            raise ExpositionError("family %s lacks # HELP or # TYPE" % name)
        if family["type"] == "histogram":
            check_histogram(name, family["samples"])
    return families


def check_histogram(name, samples):
    series = {}
    for sample_name, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        entry = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample_name == name + "_bucket":
            if "le" not in labels:
                raise ExpositionError("%s_bucket%s has no le" % (name, dict(key)))
            entry["buckets"].append((parse_value(labels["le"], 0), value))
        elif sample_name == name + "_sum":
            entry["sum"] = value
        elif sample_name == name + "_count":
            entry["count"] = value
        else:
            raise ExpositionError("%s is not a sample of histogram %s" % (sample_name, name))
    for key, entry in series.items():
        buckets = entry["buckets"]
        where = "%s%s" % (name, dict(key))
        if entry["sum"] is None or entry["count"] is None:
            raise ExpositionError("%s lacks _sum or _count" % where)
        if not buckets or buckets[-1][0] != math.inf:
            raise ExpositionError("%s: the last bucket is not le=\"+Inf\"" % where)
        for (le_a, n_a), (le_b, n_b) in zip(buckets, buckets[1:]):
            if not le_a < le_b:
                raise ExpositionError("%s: le %s then %s: not ascending" % (where, le_a, le_b))
            if n_b < n_a:
                raise ExpositionError("%s: bucket le=%s holds %s, fewer than le=%s's %s"
                                      % (where, le_b, n_b, le_a, n_a))
        if buckets[-1][1] != entry["count"]:
            raise ExpositionError("%s: +Inf bucket %s but _count %s"
                                  % (where, buckets[-1][1], entry["count"]))


def bucket_high(low):
    """The highest value (ms) of the report histogram's bucket starting at `low`."""
    if low < 32:
        return low
    return low + (1 << (low.bit_length() - 1 - 4)) - 1


def value_of(families, family, name, **labels):
    for sample_name, sample_labels, value in families[family]["samples"]:
        if sample_name == name and sample_labels == labels:
            return value
    raise AssertionError("no sample %s%s" % (name, labels))


def check_values(families, report):
    """Problems where the scrape differs from the report."""
    problems = []
    metrics = report["metrics"]

    def expect(what, got, want):
        if not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9):
            problems.append("%s: scraped %r, the report holds %r" % (what, got, want))

    for state, key in (("total", "devices"), ("started", "started"),
                       ("succeeded", "succeeded"), ("failed", "failed")):
        expect("devices " + state,
               value_of(families, "fota_fleet_devices", "fota_fleet_devices", state=state),
               metrics[key])
    for milestone, counts in metrics["timeline"]["milestones"].items():
        expect("milestone " + milestone,
               value_of(families, "fota_fleet_milestone_devices_total",
                        "fota_fleet_milestone_devices_total", milestone=milestone), sum(counts))
    family = "fota_fleet_phase_latency_seconds"
    for phase, histogram in metrics["phases"].items():
        expect(phase + " _count", value_of(families, family, family + "_count", phase=phase),
               histogram["count"])
        expect(phase + " _sum", value_of(families, family, family + "_sum", phase=phase),
               histogram["sum_ms"] / 1000)
        for name, labels, value in families[family]["samples"]:
            if name == family + "_bucket" and labels["phase"] == phase and labels["le"] != "+Inf":
                le_ms = round(float(labels["le"]) * 1000)
                within = sum(n for low, n in histogram["buckets"] if bucket_high(low) <= le_ms)
                expect("%s le=%s" % (phase, labels["le"]), value, within)
    scraped_errors = {labels["class"]: value
                      for _, labels, value in families["fota_fleet_errors_total"]["samples"]}
    if set(scraped_errors) != set(metrics["errors"]):
        problems.append("error classes %s, the report's %s"
                        % (sorted(scraped_errors), sorted(metrics["errors"])))
    for error_class, n in metrics["errors"].items():
        expect("errors " + error_class, scraped_errors.get(error_class, -1), n)
    expect("download bytes", value_of(families, "fota_fleet_download_bytes_total",
                                      "fota_fleet_download_bytes_total"), metrics["download_bytes"])
    for status, n in report["executions"].items():
        expect("executions " + status,
               value_of(families, "fota_fleet_executions", "fota_fleet_executions",
                        status=status), n)
    expect("run_info", value_of(families, "fota_fleet_run_info", "fota_fleet_run_info",
                                run_id=report["run_id"], stack=report["stack"]), 1)
    return problems


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def scrape_sample(tool, name, work):
    json_path = os.path.join(work, name + ".json")
    server = subprocess.Popen([tool, "serve", name, json_path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(60, server.kill)  # a server that never prints its port
    timer.start()
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("port "):
            raise RuntimeError("the server printed %r instead of its port" % line)
        base = "http://127.0.0.1:%d" % int(line.split()[1])
        status, content_type, body = get(base + "/metrics")
        with open(os.path.join(work, name + ".prom"), "wb") as f:
            f.write(body)
        problems = []
        if status != 200 or content_type != CONTENT_TYPE:
            problems.append("GET /metrics: %s %r" % (status, content_type))
        other_status = get(base + "/other")[0]
        if other_status != 404:
            problems.append("GET /other answered %s, not 404" % other_status)
        with open(json_path, encoding="utf-8") as f:
            report = json.load(f)
        try:
            families = parse_exposition(body.decode("utf-8"))
            problems += check_values(families, report)
        except (ExpositionError, UnicodeDecodeError, AssertionError) as error:
            problems.append(str(error))
        server.stdin.close()
        if server.wait(timeout=30) != 0:
            problems.append("the server exited %d after stdin closed" % server.returncode)
        return problems
    finally:
        timer.cancel()
        if server.poll() is None:
            server.kill()
            server.wait()


def self_test():
    """The parser refuses what it must (so that its passing means something)."""
    good = "# HELP a x\n# TYPE a gauge\na{l=\"v\"} 1\n"
    parse_exposition(good)
    bad = {
        "no TYPE": "# HELP a x\na 1\n",
        "bad name": "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
        "bad escape": "# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n",
        "split group": "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\n"
                       "a{l=\"2\"} 1\n",
        "decreasing bucket": "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                             "h_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
        "+Inf is not _count": "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
                              "h_sum 1\nh_count 3\n",
        "no final line feed": good.rstrip("\n"),
        "value": "# HELP a x\n# TYPE a gauge\na one\n",
    }
    for what, text in bad.items():
        try:
            parse_exposition(text)
        except ExpositionError:
            continue
        raise AssertionError("the parser accepted an exposition with: " + what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    self_test()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    failures = 0
    for name in SAMPLES:
        problems = scrape_sample(args.tool, name, args.work)
        if problems:
            failures += 1
            print("FAIL %s:\n  %s" % (name, "\n  ".join(problems)))
        else:
            print("ok   %s: the scrape parses strictly and equals the report" % name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
