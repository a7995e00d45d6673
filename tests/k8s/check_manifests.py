#!/usr/bin/env python3
"""Checks k8s/'s manifests for what kubectl's client dry-run cannot see: every document has
apiVersion, kind and metadata.name; the fleet Job is a batch/v1 Indexed Job with completions ==
parallelism; its fota-sim args take --shard-index from the completion index (the env var, from
the downward API annotation) and --shard-count equal to completions; each shard's --json is its
own file on a mounted volume; memory requests and limits hold 64 KiB per device of a shard plus
50 MiB, CPU requests 1 per 2,500 devices; every $(VAR) of the args is defined, every ConfigMap key
and PersistentVolumeClaim referenced exists.

Before checking the files it checks itself: each of a list of breakages applied to the files'
Job must be refused, so that a pass means something.

Usage: check_manifests.py FILE.yaml...
"""
import copy
import math
import re
import sys

import yaml

KIB_PER_DEVICE = 64
BASE_MIB = 50
DEVICES_PER_CPU = 2500
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
INDEX_ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
DECIMAL_SUFFIXES = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 10**-3, "": 1}


def quantity(text):
    """A Kubernetes quantity ("384Mi", "1", "500m", "1.5G") as a number, or None."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", str(text))
    if not match:
        return None
    number, suffix = float(match.group(1)), match.group(2)
    scale = BINARY_SUFFIXES.get(suffix, DECIMAL_SUFFIXES.get(suffix))
    return None if scale is None else number * scale


def option(args, name):
    """The value after `name` in args, or None."""
    for i, arg in enumerate(args[:-1]):
        if arg == name:
            return str(args[i + 1])
    return None


def pod_specs(document):
    kind = document.get("kind")
    if kind == "Pod":
        return [document.get("spec") or {}]
    if kind == "Job":
        return [((document.get("spec") or {}).get("template") or {}).get("spec") or {}]
    return []


def check_identity(document, where, problems):
    for key in ("apiVersion", "kind"):
        if not isinstance(document.get(key), str) or not document.get(key):
            problems.append("%s: no %s" % (where, key))
    name = (document.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not DNS_NAME.fullmatch(name) or len(name) > 253:
        problems.append("%s: metadata.name %r is not a DNS name" % (where, name))


def check_references(spec, where, config_maps, claims, problems):
    """Env references to ConfigMaps, $(VAR)s of command and args, volumes' claims."""
    for container in spec.get("containers") or []:
        defined = set()
        for entry in container.get("env") or []:
            defined.add(entry.get("name"))
            ref = (entry.get("valueFrom") or {}).get("configMapKeyRef")
            if ref is not None:
                keys = config_maps.get(ref.get("name"))
                if keys is None:
                    problems.append("%s: env %s reads ConfigMap %r, which no manifest defines"
                                    % (where, entry.get("name"), ref.get("name")))
                elif ref.get("key") not in keys:
                    problems.append("%s: env %s reads key %r, which ConfigMap %s lacks"
                                    % (where, entry.get("name"), ref.get("key"), ref.get("name")))
        for source in container.get("envFrom") or []:
            name = (source.get("configMapRef") or {}).get("name")
            if name is not None:
                if name not in config_maps:
                    problems.append("%s: envFrom ConfigMap %r is not defined" % (where, name))
                else:
                    defined.update(config_maps[name])
        for arg in (container.get("command") or []) + (container.get("args") or []):
            for variable in VARIABLE.findall(str(arg)):
                if variable not in defined:
                    problems.append("%s: %r uses $(%s), which the container's env lacks"
                                    % (where, arg, variable))
    for volume in spec.get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim is not None and claim not in claims:
            problems.append("%s: volume %s claims %r, which no manifest defines"
                            % (where, volume.get("name"), claim))


def check_index_env(container, where, problems):
    for entry in container.get("env") or []:
        if entry.get("name") == "JOB_COMPLETION_INDEX":
            path = ((entry.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            if path != INDEX_ANNOTATION:
                problems.append("%s: JOB_COMPLETION_INDEX comes from %r, not %s"
                                % (where, path, INDEX_ANNOTATION))
            return
    problems.append("%s: no env JOB_COMPLETION_INDEX from the completion index annotation" % where)


def check_resources(container, per_shard, where, problems):
    need_memory = per_shard * KIB_PER_DEVICE * 2**10 + BASE_MIB * 2**20
    need_cpu = per_shard / DEVICES_PER_CPU
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        memory = quantity((resources.get(kind) or {}).get("memory"))
        if memory is None or memory < need_memory:
            problems.append("%s: memory %s %r is under %d devices x %d KiB + %d MiB = %.0f MiB"
                            % (where, kind, (resources.get(kind) or {}).get("memory"), per_shard,
                               KIB_PER_DEVICE, BASE_MIB, need_memory / 2**20))
    cpu = quantity((resources.get("requests") or {}).get("cpu"))
    if cpu is None or cpu + 1e-9 < need_cpu:
        problems.append("%s: cpu request %r is under %d devices / %d per CPU = %.2f"
                        % (where, (resources.get("requests") or {}).get("cpu"), per_shard,
                           DEVICES_PER_CPU, need_cpu))


def check_fleet_job(job, where, problems):
    spec = job.get("spec") or {}
    if job.get("apiVersion") != "batch/v1":
        problems.append("%s: apiVersion %r, not batch/v1" % (where, job.get("apiVersion")))
    if spec.get("completionMode") != "Indexed":
        problems.append("%s: completionMode %r, not Indexed" % (where, spec.get("completionMode")))
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    if not isinstance(completions, int) or completions < 1 or completions != parallelism:
        problems.append("%s: completions %r and parallelism %r must be the same shard count"
                        % (where, completions, parallelism))
        return
    pod = pod_specs(job)[0]
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append("%s: restartPolicy %r" % (where, pod.get("restartPolicy")))
    fleets = [c for c in pod.get("containers") or [] if "fleet" in (c.get("args") or [])]
    if len(fleets) != 1:
        problems.append("%s: %d containers run `fota-sim fleet`, not one" % (where, len(fleets)))
        return
    container = fleets[0]
    args = [str(a) for a in container.get("args")]
    if (container.get("command") or ["fota-sim"])[0] != "fota-sim":
        problems.append("%s: command %r is not fota-sim" % (where, container.get("command")))
    if option(args, "--shard-index") != "$(JOB_COMPLETION_INDEX)":
        problems.append("%s: --shard-index is %r, not $(JOB_COMPLETION_INDEX)"
                        % (where, option(args, "--shard-index")))
    if option(args, "--shard-count") != str(completions):
        problems.append("%s: --shard-count %r differs from completions %d"
                        % (where, option(args, "--shard-count"), completions))
    check_index_env(container, where, problems)
    for name in ("--run-id", "--control-url", "--mqtt-url", "--object-url"):
        if option(args, name) is None:
            problems.append("%s: no %s" % (where, name))
    report = option(args, "--json") or ""
    mounts = [m.get("mountPath", "") for m in container.get("volumeMounts") or []]
    if "$(JOB_COMPLETION_INDEX)" not in report or not any(
            report.startswith(m.rstrip("/") + "/") for m in mounts):
        problems.append("%s: --json %r is not a file per shard on a mounted volume (%s)"
                        % (where, report, ", ".join(mounts) or "no mounts"))
    count = option(args, "--count")
    if count is None or not count.isdigit() or int(count) < completions:
        problems.append("%s: --count %r is not a number of devices >= %d shards"
                        % (where, count, completions))
        return
    check_resources(container, math.ceil(int(count) / completions), where, problems)


def check_documents(documents):
    """documents: [(file, index, document)]. Returns the problems found."""
    problems = []
    config_maps, claims = {}, set()
    for _, _, document in documents:
        name = (document.get("metadata") or {}).get("name")
        if document.get("kind") == "ConfigMap":
            config_maps[name] = set((document.get("data") or {}).keys())
        elif document.get("kind") == "PersistentVolumeClaim":
            claims.add(name)
    jobs = 0
    for path, index, document in documents:
        where = "%s#%d (%s)" % (path, index, document.get("kind"))
        check_identity(document, where, problems)
        for spec in pod_specs(document):
            check_references(spec, where, config_maps, claims, problems)
        if document.get("kind") == "Job":
            jobs += 1
            check_fleet_job(document, where, problems)
    if jobs == 0:
        problems.append("no Job among the manifests")
    return problems


BREAKAGES = {
    "completions != parallelism": lambda j, c: j["spec"].update(completions=5),
    "completionMode NonIndexed": lambda j, c: j["spec"].update(completionMode="NonIndexed"),
    "apiVersion batch/v1beta1": lambda j, c: j.update(apiVersion="batch/v1beta1"),
    "--shard-count 3": lambda j, c: set_option(j, "--shard-count", "3"),
    "--shard-index 0": lambda j, c: set_option(j, "--shard-index", "0"),
    "--json without the index": lambda j, c: set_option(j, "--json", "/reports/shard.json"),
    "--count 40000": lambda j, c: set_option(j, "--count", "40000"),
    "memory limit 100Mi": lambda j, c: fleet_container(j)["resources"]["limits"].update(
        memory="100Mi"),
    "index env from elsewhere": lambda j, c: index_env(j)["valueFrom"]["fieldRef"].update(
        fieldPath="metadata.name"),
    "a ConfigMap key removed": lambda j, c: c["data"].pop(sorted(c["data"])[0]),
    "no metadata.name": lambda j, c: c["metadata"].pop("name"),
}


def fleet_container(job):
    return job["spec"]["template"]["spec"]["containers"][0]


def set_option(job, name, value):
    args = fleet_container(job)["args"]
    args[args.index(name) + 1] = value


def index_env(job):
    return next(e for e in fleet_container(job)["env"] if e["name"] == "JOB_COMPLETION_INDEX")


def self_test(documents):
    """Each breakage of the Job (or of the ConfigMap) must be refused."""
    failures = []
    for what, breakage in BREAKAGES.items():
        broken = copy.deepcopy(documents)
        job = next(d for _, _, d in broken if d.get("kind") == "Job")
        config_map = next(d for _, _, d in broken if d.get("kind") == "ConfigMap")
        breakage(job, config_map)
        if not check_documents(broken):
            failures.append(what)
    return failures


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    documents = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            for index, document in enumerate(yaml.safe_load_all(f)):
                if document is not None:
                    documents.append((path, index, document))
    problems = check_documents(documents)
    for problem in problems:
        print("FAIL " + problem)
    if not problems:
        print("ok   %d documents: identities, the Indexed Job, its args, resources, references"
              % len(documents))
        unrefused = self_test(documents)
        for what in unrefused:
            print("FAIL self-test: a manifest with %s passed the check" % what)
        if not unrefused:
            print("ok   self-test: %d breakages of the manifest each refused" % len(BREAKAGES))
        problems += unrefused
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
