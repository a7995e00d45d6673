#!/bin/sh
# Usage: changed_recording.sh OUT_DIR FOTA_SIM PYTHON3 SCENARIO: records SCENARIO on sim, changes
# one input of the first device's recording (the job ID in the first message that carries one),
# and replays it: the replay must exit 1 and name the first differing output
# ("output N: expected ... got ..."), while the unchanged recording replays identical.
out=$1
fota_sim=$2
python3=$3
scenario=$4
rm -rf "$out"
if ! "$fota_sim" run "$scenario" --stack sim --record "$out" >/dev/null; then
    echo "changed_recording.sh: the run of $scenario failed" >&2
    exit 1
fi
file=$(ls "$out"/*.jsonl | head -n 1)
if ! "$fota_sim" replay "$file"; then
    echo "changed_recording.sh: the unchanged $file did not replay identical" >&2
    exit 1
fi
"$python3" - "$file" "$out/changed.jsonl.txt" <<'PY' || exit 1
import json, sys
source, target = sys.argv[1], sys.argv[2]
lines = open(source).read().splitlines()
for n, text in enumerate(lines):
    line = json.loads(text)
    if line.get("type") == "in" and line.get("input") == "message" and '"jobId":"' in line.get("payload", ""):
        line["payload"] = line["payload"].replace('"jobId":"', '"jobId":"changed-', 1)
        lines[n] = json.dumps(line, separators=(",", ":"))
        print("changed_recording.sh: changed the job ID of the message on line %d" % (n + 1))
        break
else:
    sys.exit("changed_recording.sh: no message with a jobId in " + source)
open(target, "w").write("\n".join(lines) + "\n")
PY
output=$("$fota_sim" replay "$out/changed.jsonl.txt" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -ne 1 ]; then
    echo "changed_recording.sh: the changed recording's replay exited $code, expected 1" >&2
    exit 1
fi
if ! printf '%s\n' "$output" | grep -Eq '^output [0-9]+: expected \{.* got \{' ||
    ! printf '%s\n' "$output" | grep -Eq '^  at line [0-9]+ \(boot 1; '; then
    echo "changed_recording.sh: the replay did not name the first differing output" >&2
    exit 1
fi
