#!/usr/bin/env python3
"""The fleet report's HTML page in a real browser: headless Chromium loads each sample page
(fleet_report_sample html NAME ...), runs its scripts and dumps the DOM; every plot must have
drawn what the report holds (data-drawn = lines or bars, one <path> or <rect> each with finite,
non-empty geometry), and no script error may be marked on <body>.

Two controls show the check can fail: the page without its plotting script, and a page whose
plots are of another report than the expected one, must both be refused.

Usage: check_html_report.py --tool FLEET_REPORT_SAMPLE --chromium CHROMIUM --work DIR
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

SAMPLES = ["full", "partial", "empty", "hostile"]
PHASES = ["connect", "job_received", "first_byte", "download", "apply", "reboot", "confirmed",
          "end_to_end"]
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|NaN|Infinity", re.IGNORECASE)


class Dom(HTMLParser):
    """The <body>'s attributes, and every <path>/<rect> with the <svg> it is in."""

    def __init__(self):
        super().__init__()
        self.body = None
        self.svgs = []  # attribute dicts, in document order
        self.shapes = []  # (svg index, tag, attributes)
        self._open = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        elif tag == "svg":
            self.svgs.append(attributes)
            self._open.append(len(self.svgs) - 1)
        elif tag in ("path", "rect") and self._open:
            self.shapes.append((self._open[-1], tag, attributes))

    def handle_endtag(self, tag):
        if tag == "svg" and self._open:
            self._open.pop()


def expected_counts(report):
    """What each plot should draw: {svg key: N}."""
    metrics = report["metrics"]
    milestones = metrics["timeline"]["milestones"]
    expected = {"plot-timeline": sum(1 for counts in milestones.values() if len(counts) > 0)}
    filled = {name: sum(1 for _, n in h["buckets"] if n > 0)
              for name, h in metrics["phases"].items()}
    expected["plot-cdf"] = sum(1 for n in filled.values() if n > 0)
    for phase in PHASES:
        expected["phase:" + phase] = filled.get(phase, 0)
    return expected


def numbers(text):
    return [float(n) for n in NUMBER.findall(text or "")]


def check_shape(tag, attributes):
    """Why this <path>/<rect> has no drawable geometry, or None."""
    if tag == "path":
        values = numbers(attributes.get("d"))
        if len(values) < 4 or len(values) % 2:
            return "path d=%r has fewer than two points" % attributes.get("d")
        if not all(math.isfinite(v) for v in values):
            return "path d=%r has a non-finite coordinate" % attributes.get("d")[:80]
        return None
    geometry = [attributes.get(k) for k in ("x", "y", "width", "height")]
    try:
        x, y, width, height = (float(v) for v in geometry)
    except (TypeError, ValueError):
        return "rect has x, y, width, height %r" % geometry
    if not all(math.isfinite(v) for v in (x, y, width, height)) or width <= 0 or height <= 0:
        return "rect has x, y, width, height %r" % geometry
    return None


def check_dom(dom_text, report):
    """Every problem of the dumped DOM against the report, as a list of lines."""
    dom = Dom()
    dom.feed(dom_text)
    problems = []
    if dom.body is None:
        return ["no <body> in the dumped DOM"]
    if "data-error" in dom.body:
        problems.append("script error marked on <body>: %s" % dom.body["data-error"])
    if dom.body.get("data-ready") != "1":
        problems.append("<body> has no data-ready=\"1\": the plotting script did not finish")
    if "data-pwned" in dom.body:
        problems.append("text from the report ran as a script (data-pwned on <body>)")
    keys = []
    for svg in dom.svgs:
        if svg.get("id") in ("plot-timeline", "plot-cdf"):
            keys.append(svg["id"])
        elif "data-phase" in svg:
            keys.append("phase:" + svg["data-phase"])
        else:
            keys.append(None)
    expected = expected_counts(report)
    missing = sorted(set(expected) - set(keys))
    if missing:
        problems.append("plots missing from the page: %s" % ", ".join(missing))
    for index, key in enumerate(keys):
        if key is None:
            continue
        want = expected.get(key)
        drawn = dom.svgs[index].get("data-drawn")
        if drawn != str(want):
            problems.append("%s: data-drawn=%r, the report holds %s" % (key, drawn, want))
        tag = "path" if key in ("plot-timeline", "plot-cdf") else "rect"
        kind = "series" if tag == "path" else "bar"
        shapes = [a for i, t, a in dom.shapes
                  if i == index and t == tag and kind in a.get("class", "").split()]
        if len(shapes) != want:
            problems.append("%s: %d <%s class=%s> drawn, the report holds %s"
                            % (key, len(shapes), tag, kind, want))
        for attributes in shapes:
            problem = check_shape(tag, attributes)
            if problem:
                problems.append("%s: %s" % (key, problem))
                break
    return problems


def dump_dom(chromium, html_path, profile):
    # --no-sandbox: CI runs as root; --disable-dev-shm-usage: a container's small /dev/shm.
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--no-default-browser-check",
               "--user-data-dir=" + os.path.join(profile, "user"),
               "--crash-dumps-dir=" + os.path.join(profile, "crash"),
               "--virtual-time-budget=5000", "--dump-dom", "file://" + os.path.abspath(html_path)]
    env = dict(os.environ, HOME=profile, XDG_CONFIG_HOME=os.path.join(profile, "config"),
               XDG_CACHE_HOME=os.path.join(profile, "cache"))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or "<body" not in result.stdout:
        raise RuntimeError("chromium exited %d on %s without a DOM; its stderr ends:\n%s"
                           % (result.returncode, html_path, result.stderr[-2000:]))
    return result.stdout


def make_sample(tool, name, work):
    json_path = os.path.join(work, name + ".json")
    html_path = os.path.join(work, name + ".html")
    subprocess.run([tool, "html", name, json_path, html_path], check=True, timeout=60)
    with open(json_path, encoding="utf-8") as f:
        return json.load(f), html_path


def without_plot_script(html_path, out_path):
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    start = page.rfind("<script>")
    if start < 0:
        raise RuntimeError("no plotting <script> in %s" % html_path)
    end = page.index("</script>", start) + len("</script>")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(page[:start] + page[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    chromium = shutil.which(args.chromium) if args.chromium else None
    if not chromium:
        print("check_html_report: chromium not found (%r); scripts/setup installs Debian's"
              % args.chromium, file=sys.stderr)
        return 1
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="fleet-html-chromium-") as profile:
        reports = {}
        for name in SAMPLES:
            report, html_path = make_sample(args.tool, name, args.work)
            reports[name] = (report, html_path)
            problems = check_dom(dump_dom(chromium, html_path, profile), report)
            summary = ", ".join("%s=%s" % kv for kv in expected_counts(report).items())
            if problems:
                failures += 1
                print("FAIL %s (%s):\n  %s" % (name, html_path, "\n  ".join(problems)))
            else:
                print("ok   %s: %s" % (name, summary))
        # Controls: the check must refuse a page whose plots did not draw, or drew another report.
        report, html_path = reports["full"]
        broken = os.path.join(args.work, "control-no-script.html")
        without_plot_script(html_path, broken)
        controls = [("without its plotting script", broken, report),
                    ("of another report", reports["partial"][1], report)]
        for what, path, expected in controls:
            problems = check_dom(dump_dom(chromium, path, profile), expected)
            if problems:
                print("ok   control: a page %s is refused (%s)" % (what, problems[0]))
            else:
                failures += 1
                print("FAIL control: a page %s passed the check" % what)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
