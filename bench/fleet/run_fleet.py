#!/usr/bin/env python3
"""N devices through the seed's flow in one fota-sim process against the local stack.

Starts `fota-sim cloud` (Mosquitto with the Jobs/Shadow plugin, the REST control plane, the object
server) on free ports, uploads a v2.0.0 test image, creates N things, starts
`fota-sim device --count N` (one io_context, --threads threads), creates one job targeting every
thing once the devices had time to connect, and waits until every device runs v2.0.0 confirmed.
Prints wall time, CPU seconds, peak RSS (total and per device), thread count, and checks the cloud
(executions SUCCEEDED). Timing figures belong here, never in pass/fail tests.

    bench/fleet/run_fleet.py --build build/dev --count 1000
"""
import argparse
import configparser
import datetime
import hashlib
import hmac
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def wait_endpoints(cloud, log_file, deadline):
    """The ports `fota-sim cloud` chose (it was given port 0: a port picked here and handed over
    could be taken by another test in between), read from the banner it prints when ready."""
    end = time.time() + deadline
    while time.time() < end and cloud.poll() is None:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if "Stop with Ctrl-C" in text:
            found = {name: re.search(name + r" +\S+://127\.0\.0\.1:(\d+)", text)
                     for name in ("mqtt", "control-plane", "object-server")}
            if all(found.values()):
                return {name: int(m.group(1)) for name, m in found.items()}
            return None
        time.sleep(0.1)
    return None


# With --tls the stack speaks HTTPS (its CA) and wants every request SigV4-signed with the key
# pair it wrote to <tls-dir>/credentials: set by main() then.
TLS = {"context": None, "credentials": None}


def sigv4_headers(method, url, data, service):
    """AWS Signature Version 4 headers for a request without a query string (the stack's own
    verifier checks them as AWS would)."""
    access_key, secret = TLS["credentials"]
    parts = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(data or b"").hexdigest()
    headers = {"host": parts.netloc, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join([method, parts.path or "/", "",
                           "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed,
                           payload_hash])
    scope = f"{day}/us-east-1/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed}, Signature={signature}")
    del headers["host"]
    return headers


def http(method, url, body=None, content_type="application/json", service="iot"):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    if TLS["credentials"]:
        for name, value in sigv4_headers(method, url, data, service).items():
            request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=60, context=TLS["context"]) as response:
        text = response.read()
        return json.loads(text) if text else None


def control(base, op, args):
    reply = http("POST", base + "/_fota/control", {"op": op, "args": args})
    return reply


def last_confirmed(log_path):
    """Wall-clock time (epoch seconds) of the last "image_confirmed" line of the device log: when
    the fleet really finished. fota-sim ends the run only at its next census (every 5 s), so the
    process's exit overstates the time by up to 5 s."""
    last = None
    pattern = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\] .* image_confirmed ")
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = pattern.match(line)
            if match:
                last = match.group(1)
    if last is None:
        return None
    return datetime.datetime.strptime(last, "%Y-%m-%d %H:%M:%S.%f").timestamp()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/dev", help="build folder with fota-sim")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--image-size", default="64KiB")
    parser.add_argument("--connect-wait", type=float, default=None,
                        help="seconds between starting the devices and creating the job")
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--stagger-ms", type=int, default=0)
    parser.add_argument("--broker-env", action="append", default=[],
                        help="NAME=value for the broker (LD_PRELOAD of a sanitizer runtime)")
    parser.add_argument("--record", metavar="DIR",
                        help="record every device's core to DIR/<thing>.jsonl (fota-sim replay)")
    parser.add_argument("--tls", action="store_true",
                        help="the cloud with --tls (a certificate per thing; HTTPS and SigV4 with "
                             "the key pair it writes) and the devices with --cert-dir")
    parser.add_argument("--perf", action="store_true",
                        help="profile fota-sim with perf record (report: perf report -i LOGS/perf.data)")
    options = parser.parse_args()

    fota_sim = os.path.join(options.build, "simulator", "fota-sim")
    plugin = os.path.join(options.build, "cloud", "mqtt_plugin", "libfota_mosquitto_plugin.so")
    work = tempfile.mkdtemp(prefix="fota-fleet-")
    cloud_log = open(os.path.join(work, "cloud.log"), "w")
    cloud = subprocess.Popen(
        [fota_sim, "cloud", "--mqtt-port", "0", "--control-port", "0",
         "--object-port", "0", "--bucket", "firmware", "--plugin", plugin,
         "--data-dir", os.path.join(work, "cloud")]
        + (["--tls", "--tls-things", f"dev-:{options.count}"] if options.tls else [])
        + [arg for env in options.broker_env for arg in ("--broker-env", env)],
        stdout=cloud_log, stderr=subprocess.STDOUT)
    try:
        ports = wait_endpoints(cloud, os.path.join(work, "cloud.log"), 30)
        if ports is None:
            sys.exit(f"the local stack did not start; see {work}/cloud.log")
        mqtt_port, control_port, object_port = (ports["mqtt"], ports["control-plane"],
                                                ports["object-server"])
        scheme = "https" if options.tls else "http"
        control_base = f"{scheme}://127.0.0.1:{control_port}"
        object_url = f"{scheme}://127.0.0.1:{object_port}/firmware/app_update.bin"
        if options.tls:
            tls_dir = os.path.join(work, "cloud", "tls")
            TLS["context"] = ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))
            ini = configparser.ConfigParser()
            ini.read(os.path.join(tls_dir, "credentials"))
            TLS["credentials"] = (ini["default"]["aws_access_key_id"],
                                  ini["default"]["aws_secret_access_key"])

        image = os.path.join(work, "app_update.bin")
        subprocess.run([fota_sim, "mkimage", "--version", "2.0.0", "--size", options.image_size,
                        "--seed", "7", "--out", image], check=True)
        image_bytes = open(image, "rb").read()
        http("PUT", object_url, image_bytes, "application/octet-stream", service="s3")

        width = len(str(options.count - 1))
        things = [f"dev-{i:0{width}d}" for i in range(options.count)]
        for thing in things:
            control(control_base, "create_thing", {"thingName": thing})

        device_log_path = os.path.join(work, "devices.log")
        device_log = open(device_log_path, "w")
        command = ["/usr/bin/time", "-v", fota_sim, "device", "--count", str(options.count),
                   "--thing-prefix", "dev-", "--endpoint", f"127.0.0.1:{mqtt_port}",
                   "--shadow-url", control_base, "--threads", str(options.threads),
                   "--until-version", "2.0.0", "--timeout", str(options.timeout),
                   "--stagger-ms", str(options.stagger_ms), "--log-level", "info"]
        if options.record:
            command += ["--record", options.record]
        if options.tls:
            command += ["--cert-dir", os.path.join(work, "cloud", "tls")]
        if options.perf:
            command = ["perf", "record", "-F", "999", "-g", "-o",
                       os.path.join(work, "perf.data"), "--"] + command
        started = time.time()
        devices = subprocess.Popen(command, stdout=device_log, stderr=subprocess.STDOUT)
        # Paho C 1.3.12 needs about 2 s per connect; give the fleet time to connect first, as in
        # the seed (job created after the devices subscribed). Late devices get it by $next/get.
        connect_wait = options.connect_wait
        if connect_wait is None:
            connect_wait = 5 + options.count / 100
        time.sleep(connect_wait)
        # Over TLS the object server wants signed requests: the devices get a presigned URL.
        url = (object_url if not options.tls else
               "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/firmware/"
               "app_update.bin}")
        document = {"operation": "app_fw_update", "fwversion": "v2.0.0",
                    "size": len(image_bytes), "location": {"url": url}}
        arns = [f"arn:aws:iot:us-east-1:123456789012:thing/{t}" for t in things]
        job = {"targets": arns, "document": json.dumps(document)}
        if options.tls:
            job["presignedUrlConfig"] = {"roleArn": "arn:aws:iam::123456789012:role/fota",
                                         "expiresInSec": 3600}
        job_created = time.time()
        control(control_base, "create_job", {"jobId": "fleet-2-0-0", "body": job})
        code = devices.wait()
        finished = time.time()
        device_log.close()
        text = open(device_log_path).read()

        succeeded = 0
        token = None
        while True:
            args = {"jobId": "fleet-2-0-0", "maxResults": 250}
            if token:
                args["nextToken"] = token
            reply = control(control_base, "list_job_executions_for_job", args) or {}
            body = reply.get("body", reply)
            for summary in body.get("executionSummaries", []):
                if summary.get("jobExecutionSummary", {}).get("status") == "SUCCEEDED":
                    succeeded += 1
            token = body.get("nextToken")
            if not token:
                break

        def field(name):
            match = re.search(re.escape(name) + r":\s*(.+)", text)
            return match.group(1).strip() if match else "?"

        summary = re.search(r"all \d+ device\(s\) run .*", text)
        peak_kib = int(field("Maximum resident set size (kbytes)") or 0) \
            if field("Maximum resident set size (kbytes)") != "?" else 0
        print(f"devices:              {options.count} (threads {options.threads})")
        print(f"exit code:            {code}")
        print(f"executions SUCCEEDED: {succeeded}/{options.count}")
        print(f"wall, start to done:  {finished - started:.1f} s "
              f"(job created after {job_created - started:.1f} s; "
              f"job to done {finished - job_created:.1f} s)")
        confirmed = last_confirmed(device_log_path)
        if confirmed is not None:
            print(f"job to last confirm:  {confirmed - job_created:.2f} s "
                  "(from the device log; the exit waits for the next 5 s census)")
        print(f"cpu user/system:      {field('User time (seconds)')} / "
              f"{field('System time (seconds)')} s")
        print(f"peak RSS:             {peak_kib} KiB total, "
              f"{peak_kib / max(options.count, 1):.0f} KiB per device")
        print(f"fota-sim summary:     {summary.group(0) if summary else '?'}")
        print(f"logs:                 {work}")
        return 0 if code == 0 and succeeded == options.count else 1
    finally:
        cloud.terminate()
        try:
            cloud.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cloud.kill()


if __name__ == "__main__":
    sys.exit(main())
