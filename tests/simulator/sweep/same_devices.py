#!/usr/bin/env python3
"""Usage: same_devices.py FOTA_SIM OUTDIR RUN_A... -- RUN_B...: runs `fota-sim run` twice with
each argument list and passes when both JSON reports show the same devices (versions, boots,
flash operations, every phase with its virtual time), whatever each run's outcome."""
import json
import os
import subprocess
import sys


def devices(fota_sim, out, args):
    subprocess.run([fota_sim, "run", *args, "--json", out], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    with open(out, encoding="utf-8") as f:
        report = json.load(f)
    return [s["devices"] for s in report["scenarios"]]


def main():
    fota_sim, outdir = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    split = rest.index("--")
    os.makedirs(outdir, exist_ok=True)
    a = devices(fota_sim, os.path.join(outdir, "a.json"), rest[:split])
    b = devices(fota_sim, os.path.join(outdir, "b.json"), rest[split + 1:])
    if a != b:
        print("the runs differ:\n" + json.dumps(a, indent=1)[:3000] + "\n---\n" +
              json.dumps(b, indent=1)[:3000])
        return 1
    phases = sum(len(d["phases"]) for s in a for d in s)
    print(f"same devices ({phases} phases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
