#!/usr/bin/env python3
"""`kubectl apply --dry-run=client --validate=false` on k8s/'s manifests, without a cluster.

kubectl's client dry-run still asks a server which kinds exist (discovery) and whether each
object exists already; so this script serves exactly that on 127.0.0.1 (the discovery documents
of ConfigMap, PersistentVolumeClaim, Pod and batch/v1 Job, and 404 for every object) and points
a temporary kubeconfig at it. kubectl must print "<kind>/<name> created (dry run)" for every
document and send nothing but GETs. A control: a manifest of a kind the server does not know must
make kubectl fail.

Usage: kubectl_dry_run.py KUBECTL FILE.yaml...
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
CORE = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
    {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
     "verbs": VERBS, "shortNames": ["cm"]},
    {"name": "persistentvolumeclaims", "singularName": "persistentvolumeclaim",
     "namespaced": True, "kind": "PersistentVolumeClaim", "verbs": VERBS, "shortNames": ["pvc"]},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": VERBS,
     "shortNames": ["po"]},
]}
BATCH = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "batch/v1", "resources": [
    {"name": "jobs", "singularName": "job", "namespaced": True, "kind": "Job", "verbs": VERBS},
]}
DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "batch", "versions": [{"groupVersion": "batch/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": "batch/v1", "version": "v1"}}]},
    "/api/v1": CORE,
    "/apis/batch/v1": BATCH,
    "/version": {"major": "1", "minor": "29", "gitVersion": "v1.29.0"},
}


class FakeApiServer(BaseHTTPRequestHandler):
    requests = []  # (method, path), shared by the handler's instances

    def _answer(self):
        path = self.path.split("?")[0]
        FakeApiServer.requests.append((self.command, path))
        if self.command == "GET" and path in DISCOVERY:
            status, body = 200, DISCOVERY[path]
        else:
            status, body = 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                 "reason": "NotFound", "code": 404,
                                 "message": "%s not found" % path}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


def kubeconfig(port):
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": "http://127.0.0.1:%d" % port}}],
        "users": [{"name": "fake", "user": {}}],
        "contexts": [{"name": "fake",
                      "context": {"cluster": "fake", "user": "fake", "namespace": "default"}}],
    })


def apply(kubectl, files, home):
    command = [kubectl, "apply", "--dry-run=client", "--validate=false"]
    for path in files:
        command += ["-f", path]
    env = dict(os.environ, HOME=home, KUBECONFIG=os.path.join(home, "config"))
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def expected_lines(files):
    lines = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for document in yaml.safe_load_all(f):
                if document:
                    group = document["apiVersion"].split("/")[0] if "/" in document[
                        "apiVersion"] else ""
                    kind = document["kind"].lower() + ("." + group if group else "")
                    lines.append("%s/%s created (dry run)" % (kind, document["metadata"]["name"]))
    return lines


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    kubectl, files = shutil.which(sys.argv[1]), sys.argv[2:]
    if not kubectl:
        print("kubectl_dry_run: kubectl not found (%r); scripts/setup installs Debian's "
              "kubernetes-client" % sys.argv[1], file=sys.stderr)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApiServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failures = []
    try:
        with tempfile.TemporaryDirectory(prefix="fleet-kubectl-") as home:
            with open(os.path.join(home, "config"), "w", encoding="utf-8") as f:
                f.write(kubeconfig(server.server_address[1]))
            result = apply(kubectl, files, home)
            print(result.stdout + result.stderr, end="")
            if result.returncode != 0:
                failures.append("kubectl apply --dry-run=client exited %d" % result.returncode)
            for line in expected_lines(files):
                if line not in result.stdout.splitlines():
                    failures.append("kubectl did not print %r" % line)
            writes = [r for r in FakeApiServer.requests if r[0] != "GET"]
            if writes:
                failures.append("a client dry-run sent %s" % writes)
            # Control: a kind the server does not serve must fail the apply.
            unknown = os.path.join(home, "unknown-kind.yaml")
            with open(unknown, "w", encoding="utf-8") as f:
                f.write("apiVersion: batch/v1\nkind: CronJobby\nmetadata:\n  name: x\n")
            control = apply(kubectl, [unknown], home)
            if control.returncode == 0:
                failures.append("control: kubectl accepted a kind no server serves")
            else:
                print("ok   control: an unknown kind is refused (%s)"
                      % control.stderr.strip().splitlines()[-1][:120])
    finally:
        server.shutdown()
    for failure in failures:
        print("FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
