#!/usr/bin/python3
"""Writes scenarios/scenario.schema.json, the JSON Schema of scenario files (draft 2020-12).

The schema is generated so that its many variants (steps, conditions, faults, expectations) stay
regular; the parser in simulator/scenario is the authority, and check_schema.py tests that both
agree on every valid and invalid case. After changing the format: edit this file, run
  tests/simulator/scenario/generate_schema.py > scenarios/scenario.schema.json
CTest runs it with --check, which fails when the committed schema differs from this output.
"""
import collections
import json
import sys
def obj(props, required=(), desc=None, **kw):
    o = {"type": "object", "properties": props, "additionalProperties": False}
    if required: o["required"] = list(required)
    if desc: o["description"] = desc
    o.update(kw)
    return o

def ref(name): return {"$ref": "#/$defs/" + name}
def s(desc=None, **kw):
    o = {"type": "string"}
    if desc: o["description"] = desc
    o.update(kw); return o
def i(lo, hi, desc=None):
    o = {"type": "integer", "minimum": lo, "maximum": hi}
    if desc: o["description"] = desc
    return o
def num(lo, hi, desc=None):
    o = {"type": "number", "minimum": lo, "maximum": hi}
    if desc: o["description"] = desc
    return o
def b(desc=None):
    o = {"type": "boolean"}
    if desc: o["description"] = desc
    return o
def enum(values, desc=None):
    o = {"enum": list(values)}
    if desc: o["description"] = desc
    return o
def d(desc): return dict(ref("duration"), description=desc)
def sz(desc): return dict(ref("size"), description=desc)
def single(kind, body, desc):
    return {"type": "object", "description": desc, "properties": {kind: body},
            "required": [kind], "additionalProperties": False}

PHASES = ["booted", "shadow_reported", "connected", "job_received", "in_progress_sent",
          "downloading", "download_complete", "apply_sent", "image_scheduled", "succeeded_sent",
          "failed_sent", "rebooting", "swapping", "confirmed", "rolled_back",
          "job_abandoned"]
EXEC = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"]
JOB = ["IN_PROGRESS", "CANCELED", "DELETION_IN_PROGRESS", "COMPLETED"]
CODES = ["VersionMismatch", "InvalidStateTransition", "TerminalStateReached", "ResourceNotFound",
         "InvalidRequest", "InvalidJson", "RequestThrottled"]

defs = collections.OrderedDict()
defs["duration"] = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$",
                    "description": "A duration: a number with a unit ms, s, m or h (250ms, 30s, 1.5m, 2h).",
                    "examples": ["30s", "250ms", "10m"]}
defs["size"] = {"description": "A byte size: an integer (bytes) or a number with a unit B, KiB, MiB, GiB, kB, MB, GB.",
                "oneOf": [{"type": "integer", "minimum": 0},
                          {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(B|KiB|MiB|GiB|kB|MB|GB)?$"}],
                "examples": ["200KiB", 4096]}
defs["thing_name"] = {"type": "string", "pattern": "^[a-zA-Z0-9:_-]+$",
                      "description": "A device's thing name: a group's thing_prefix followed by its index (dev-0)."}
defs["devices"] = {"description": "'all', one thing name, or a list of thing names.",
                   "oneOf": [{"const": "all"},
                             {"allOf": [ref("thing_name"), {"not": {"const": "all"}}]},
                             {"type": "array", "minItems": 1, "uniqueItems": True,
                              "items": {"allOf": [ref("thing_name"), {"not": {"const": "all"}}]}}]}
defs["firmware_id"] = {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$",
                       "description": "A key of the scenario's firmware map."}
defs["job_id"] = {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$",
                  "description": "An AWS job id created by an earlier create_job step."}
defs["version"] = {"type": "string",
                   "pattern": "^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.(0|[1-9][0-9]{0,4})(\\+(0|[1-9][0-9]{0,9}))?$",
                   "description": "An MCUboot image version major.minor.revision[+build] (u8.u8.u16+u32)."}
defs["phase"] = enum(PHASES, "A device lifecycle phase.")
defs["execution_status"] = enum(EXEC, "An AWS IoT job execution status.")
defs["job_status"] = enum(JOB, "An AWS IoT job status.")
defs["count_range"] = {"description": "An exact count, or {min, max} (either or both).",
                       "oneOf": [{"type": "integer", "minimum": 0, "maximum": 100000000},
                                 {"type": "object", "additionalProperties": False, "minProperties": 1,
                                  "properties": {"min": i(0, 100000000), "max": i(0, 100000000)}}]}
defs["size_range"] = {"description": "An exact size, or {min, max} (either or both).",
                      "oneOf": [ref("size"),
                                {"type": "object", "additionalProperties": False, "minProperties": 1,
                                 "properties": {"min": ref("size"), "max": ref("size")}}]}
defs["topic_suffix"] = {"type": "string", "pattern": "^[^/+#][^+#]{0,255}$",
                        "description": "The end of a topic, without wildcards: update/accepted, notify-next."}

# ---- conditions
cond_kinds = {
  "execution_status": obj({"job": ref("job_id"), "devices": ref("devices"),
                           "status": {"oneOf": [ref("execution_status"),
                                                {"type": "array", "minItems": 1, "items": ref("execution_status")}]}},
                          ["job", "status"], "The job execution of each device has one of the statuses."),
  "job_status": obj({"job": ref("job_id"), "status": ref("job_status")}, ["job", "status"], "The job has a status."),
  "device_phase": obj({"devices": ref("devices"), "phase": ref("phase")}, ["phase"],
                      "Each device has reached the phase."),
  "downloaded_bytes": obj({"devices": ref("devices"), "at_least": ref("size")}, ["at_least"],
                          "Each device has received at least this many bytes of the image."),
  "running_version": obj({"devices": ref("devices"), "version": ref("version")}, ["version"],
                         "Each device runs the version."),
  "all_of": {"type": "array", "minItems": 1, "items": ref("condition"), "description": "Every condition holds."},
  "any_of": {"type": "array", "minItems": 1, "items": ref("condition"), "description": "At least one condition holds."},
}
defs["condition"] = {"description": "A condition on observed state: a map with one key, its kind.",
                     "oneOf": [single(k, v, v.get("description", k)) for k, v in cond_kinds.items()]}

# ---- faults (discriminated by kind)
def kinded(kinds, desc):
    variants = []
    for k, (props, req, kd) in kinds.items():
        p = {"kind": {"const": k}}
        p.update(props)
        variants.append(obj(p, ["kind"] + req, kd))
    return {"type": "object", "description": desc, "required": ["kind"],
            "properties": {"kind": enum(list(kinds.keys()))}, "oneOf": variants}

dev = {"devices": ref("devices")}
part = {"partition": enum(["any", "mcuboot", "primary", "secondary", "storage"], "Only operations in this partition.")}
at_op = {"at_op": i(0, 10000000, "Flash operation index (erase or write), counted from this step, from 0.")}
flash_kinds = collections.OrderedDict([
  ("power_cut", (dict(dev, **at_op, torn=b("The operation in flight is half done (a torn write or an interrupted erase)."),
                      off_for=d("Time before power returns.")), ["at_op"], "Power is cut before (or during) flash operation at_op.")),
  ("fail_write", (dict(dev, **at_op, **part, count=i(1, 1000000, "How many writes fail.")), [], "Writes fail.")),
  ("fail_erase", (dict(dev, **at_op, **part, count=i(1, 1000000, "How many erases fail.")), [], "Erases fail.")),
  ("bit_flips", (dict(dev, rate=num(1e-12, 1, "Probability per bit read."), **part), ["rate"], "Bits flip on read.")),
  ("wear_out", (dict(dev, erase_limit=i(1, 10000000, "Erase cycles after which a page fails."), **part), ["erase_limit"], "Pages wear out.")),
])
net_kinds = collections.OrderedDict([
  ("drop_mqtt", (dict(dev, at_download_byte=sz("Drop when the download reaches this byte; now if absent.")), [], "The MQTT connection drops.")),
  ("lose_next_message", (dict(dev, topic_suffix=ref("topic_suffix")), [], "The next MQTT message received (on the topic) is lost.")),
  ("stall_http", (dict(dev, duration=d("How long the transfer stalls."), at_download_byte=sz("Stall at this byte; now if absent.")), ["duration"], "The HTTP transfer stops receiving.")),
  ("offline", (dict(dev, duration=d("How long the device has no network.")), ["duration"], "No network at all.")),
])
fw = {"firmware": dict(ref("firmware_id"), description="The object (a firmware id); every object if absent.")}
cnt = {"count": i(1, 1000000, "How many requests are affected.")}
frm = {"from": sz("Only ranged requests starting at or after this byte (the middle of a download).")}
http_kinds = collections.OrderedDict([
  ("close_after_bytes", (dict(fw, bytes=sz("Body bytes sent before the connection is closed."), **cnt), ["bytes"], "Close the connection mid-body.")),
  ("throttle", (dict(fw, bytes_per_second=sz("Bytes per second.")), ["bytes_per_second"], "Limit the transfer rate.")),
  ("error_status", (dict(fw, status=i(400, 599, "HTTP status to answer."), **cnt), ["status"], "Answer an error status.")),
  ("slow_down", (dict(fw, **cnt), [], "Answer 503 SlowDown.")),
  ("ignore_range", (dict(fw, **cnt, **frm), [], "Answer 200 with the whole object to ranged requests.")),
  ("wrong_content_range", (dict(fw, content_range=enum(["wrong_start", "wrong_end", "wrong_total", "star_total"]), **cnt, **frm), ["content_range"], "206 with a Content-Range that does not match the request.")),
  ("stall", (dict(fw, duration=d("How long the response stalls."), bytes=sz("Body bytes sent before the stall."), **cnt), ["duration"], "Stop sending mid-response.")),
  ("replace_object", (dict(fw, replacement=dict(ref("firmware_id"), description="The firmware whose bytes replace the object's.")), ["firmware", "replacement"], "Replace the object's bytes.")),
  ("redirect", (dict(fw, status=enum([301, 302, 303, 307, 308]), **cnt), ["status"], "Answer a redirect.")),
  ("refuse_connections", (dict(cnt), [], "Refuse connections.")),
  ("connection_close", (dict(fw, **cnt), [], "Answer with Connection: close, then close the connection.")),
  ("long_header", (dict(fw, bytes=sz("Length of the extra header."), **cnt), ["bytes"], "Add a long header.")),
  ("lowercase_headers", (dict(fw, **cnt), [], "Send header names in lower case.")),
])
cloud_kinds = collections.OrderedDict([
  ("duplicate_notify_next", (dict(dev), [], "The next notify-next is sent twice.")),
  ("deliver_document_twice", (dict(dev), [], "The next job document delivery is repeated.")),
  ("reject_next_update", (dict(dev, code=enum(CODES, "The AWS error code.")), ["code"], "The next job update is rejected.")),
  ("delay_reply", (dict(dev, delay=d("The delay."), topic_suffix=ref("topic_suffix")), ["delay"], "The next reply is delayed.")),
  ("drop_reply", (dict(dev, topic_suffix=ref("topic_suffix")), [], "The next reply is not sent.")),
])

create_job = obj({
  "id": ref("job_id"),
  "firmware": dict(ref("firmware_id"), description="The firmware the job document points at."),
  "targets": dict(ref("devices"), description="Things the job targets (default: all)."),
  "document": {"type": "object", "description": "An explicit job document; strings may use ${firmware.url}, ${firmware.host}, ${firmware.path}, ${firmware.protocol}, ${firmware.version}, ${firmware.s3_url}, ${firmware.sha256} and ${firmware.size} (a whole-string ${firmware.size} gives a number)."},
  "document_template": enum(["host_path", "url", "presigned_url"], "A standard document: location {protocol, host, path}, location {url}, or location {url} with the presigned-URL placeholder."),
  "protocol": enum(["http", "https"], "The protocol of a document_template."),
  "description": s("AWS job description."),
  "target_selection": enum(["SNAPSHOT", "CONTINUOUS"]),
  "rollout": {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
              "description": "jobExecutionsRolloutConfig.",
              "properties": {
                  "maximum_per_minute": i(1, 1000),
                  "exponential_rate": obj({"base_rate_per_minute": i(1, 1000),
                                           "increment_factor": num(1.1, 5),
                                           "rate_increase_criteria": {"type": "object", "additionalProperties": False,
                                                                      "minProperties": 1, "maxProperties": 1,
                                                                      "properties": {"number_of_notified_things": i(1, 1000000),
                                                                                     "number_of_succeeded_things": i(1, 1000000)}}},
                                          ["base_rate_per_minute", "increment_factor", "rate_increase_criteria"])}},
  "abort": {"type": "array", "minItems": 1, "description": "abortConfig criteria.",
            "items": obj({"failure_type": enum(["FAILED", "REJECTED", "TIMED_OUT", "ALL"]),
                          "threshold_percentage": num(0.01, 100),
                          "min_number_of_executed_things": i(1, 1000000)},
                         ["failure_type", "threshold_percentage", "min_number_of_executed_things"])},
  "timeout": obj({"in_progress": d("inProgressTimeoutInMinutes, whole minutes from 1m to 10080m.")}, ["in_progress"]),
  "retry": {"type": "array", "minItems": 1, "maxItems": 2, "description": "jobExecutionsRetryConfig criteria.",
            "items": obj({"failure_type": enum(["FAILED", "TIMED_OUT", "ALL"]),
                          "number_of_retries": i(0, 10)}, ["failure_type", "number_of_retries"])},
  "presigned_url": obj({"expires_in": d("presignedUrlConfig.expiresInSec, 60s to 3600s.")}, ["expires_in"]),
}, ["id", "firmware"], "Create an AWS IoT job.",
   **{"not": {"required": ["document", "document_template"]}})

job_step = lambda desc: obj({"job": ref("job_id"), "force": b("force=true (also IN_PROGRESS executions)."),
                             "devices": dict(ref("devices"), description="Only these executions (CancelJobExecution / DeleteJobExecution).")},
                            ["job"], desc)
null_or = lambda o: {"oneOf": [{"type": "null"}, o]}
step_kinds = collections.OrderedDict([
  ("create_job", create_job),
  ("wait_for", obj({"condition": ref("condition"), "timeout": d("Deadline for the condition.")}, ["condition", "timeout"], "Wait until a condition holds; the scenario fails at the timeout.")),
  ("hold", obj({"condition": ref("condition"), "for": d("How long it must hold.")}, ["condition", "for"], "The condition must stay true for a duration.")),
  ("start_devices", null_or(obj(dict(dev), [], "Power on devices (groups with autostart: false)."))),
  ("reboot", null_or(obj(dict(dev), [], "Clean reboot of devices."))),
  ("power_cut", null_or(obj(dict(dev, at_phase=ref("phase"), after_download_bytes=sz("With at_phase downloading: once this many bytes arrived."), off_for=d("Time before power returns.")), [], "Cut power now or at a phase."))),
  ("flash_fault", kinded(flash_kinds, "A fault plan of the fake flash.")),
  ("network_fault", kinded(net_kinds, "A device-side network fault.")),
  ("http_fault", kinded(http_kinds, "An object-server fault.")),
  ("cloud_fault", kinded(cloud_kinds, "A cloud-side fault.")),
  ("cancel_job", job_step("CancelJob, or CancelJobExecution with devices.")),
  ("delete_job", job_step("DeleteJob, or DeleteJobExecution with devices.")),
  ("restart_broker", null_or(obj({"down_for": d("Time the broker stays down.")}, [], "Restart the broker; state must survive."))),
])
defs["step"] = {"description": "A step of the timeline: a map with one key, its kind.",
                "oneOf": [single(k, v, v.get("description", k)) for k, v in step_kinds.items()]}

common = {"name": s("A label for reports."), "within": d("Deadline for this expectation to hold.")}
def exp(props, req, desc):
    p = dict(common); p.update(props)
    return obj(p, req, desc)
exp_kinds = collections.OrderedDict([
  ("execution_status", exp(dict(job=ref("job_id"), devices=ref("devices"), status=ref("execution_status"),
                                status_details={"type": "object", "description": "Fields statusDetails must contain."}),
                           ["job", "status"], "The job execution of each device has this status.")),
  ("job_status", exp(dict(job=ref("job_id"), status=ref("job_status")), ["job", "status"], "The job has this status.")),
  ("running_version", exp(dict(devices=ref("devices"), version=ref("version"), confirmed=b("Whether the image is confirmed.")), ["version"], "Each device runs the version.")),
  ("shadow_version", exp(dict(devices=ref("devices"), version=ref("version")), ["version"], "Each device's shadow reports the version.")),
  ("slot", exp(dict(devices=ref("devices"), slot=enum(["primary", "secondary"]),
                    contains={"description": "A firmware id, or 'erased'.", "anyOf": [ref("firmware_id"), {"const": "erased"}]}),
               ["slot", "contains"], "A slot holds a firmware image, or is erased.")),
  ("downloads", dict(exp(dict(devices=ref("devices"), attempts=ref("count_range"), range_requests=ref("count_range"), bytes=ref("size_range")), [], "Per device: download attempts, Range requests, bytes."),
                     anyOf=[{"required": ["attempts"]}, {"required": ["range_requests"]}, {"required": ["bytes"]}])),
  ("no_execution_in_progress", null_or(exp(dict(job=ref("job_id")), [], "No execution left IN_PROGRESS."))),
  ("phases", dict(exp(dict(devices=ref("devices"), reached={"type": "array", "minItems": 1, "items": ref("phase")},
                           not_reached={"type": "array", "minItems": 1, "items": ref("phase")}), [], "Phases each device reached, and did not reach."),
                  anyOf=[{"required": ["reached"]}, {"required": ["not_reached"]}])),
  ("boots", exp(dict(devices=ref("devices"), count=ref("count_range")), ["count"], "Per device: number of boots.")),
  ("job_updates", exp(dict(job=ref("job_id"), devices=ref("devices"), status=ref("execution_status"), count=ref("count_range")), ["job", "count"], "Per device: job updates published (with a status).")),
])
defs["expectation"] = {"description": "A check of the final state: a map with one key, its kind.",
                       "oneOf": [single(k, v, v.get("description", k)) for k, v in exp_kinds.items()]}

defs["device_group"] = obj({
  "thing_prefix": s("Thing names are <thing_prefix><index>.", pattern="^[a-zA-Z0-9:_-]{1,100}$"),
  "count": i(1, 100000, "Number of devices."),
  "profile": enum(["seed", "verified"], "seed reports SUCCEEDED before the reboot, as the seed does; verified only after the new image booted and was confirmed."),
  "initial_firmware": dict(ref("firmware_id"), description="The confirmed image in the primary slot at the start."),
  "autostart": b("false: devices stay off until a start_devices step."),
  "clean_session": b("false: a persistent MQTT session (the broker keeps subscriptions and queued messages)."),
  "flash": obj({"size": sz("Flash size (64KiB to 64MiB)."), "page_size": sz("Page size, a power of two."),
                "write_unit": enum([1, 2, 4, 8, 16]), "erased_value": enum([0, 255])}, [], "NOR flash geometry (default nRF9160: 1MiB, 4KiB pages, write unit 4, erased 0xFF)."),
}, ["thing_prefix", "initial_firmware"], "A group of identical devices.")

defs["firmware"] = {"type": "object", "additionalProperties": False, "required": ["version"],
  "description": "A firmware image: generated (version, size) or a file.",
  "properties": {"version": ref("version"), "size": sz("Size of a generated image (512B to 16MiB)."),
                 "file": s("An image file, relative to the scenario file."),
                 "content_seed": i(0, 9223372036854775807, "Seed of a generated image's content (default: the scenario seed)."),
                 "defect": enum(["none", "bad_hash", "bad_magic", "truncated"], "A deliberate defect."),
                 "object_key": s("Key in the object store (default <id>.bin).", pattern="^[a-zA-Z0-9_.!*'()-][a-zA-Z0-9_.!*'()/-]{0,1023}$")},
  "oneOf": [{"required": ["size"], "not": {"required": ["file"]}},
            {"required": ["file"], "not": {"anyOf": [{"required": ["size"]}, {"required": ["content_seed"]}]}}]}

schema = collections.OrderedDict()
schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
schema["$id"] = "https://fota-sim.example/scenarios/scenario.schema.json"
schema["title"] = "fota-sim scenario"
schema["description"] = "A fota-sim scenario: devices, firmware, a timeline of steps and the expected outcome. The parser (simulator/scenario) is authoritative; it also checks what a schema cannot (names that resolve, ranges of durations and sizes). See scenarios/README.md."
schema["type"] = "object"
schema["additionalProperties"] = False
schema["required"] = ["name", "description", "devices", "firmware", "steps", "expect"]
schema["properties"] = {
  "name": s("Scenario name (letters, digits, - _ .).", pattern="^[a-zA-Z0-9_.-]{1,100}$"),
  "description": s("What the scenario proves.", pattern="\\S"),
  "field_bugs": {"type": "array", "items": {"type": "string", "pattern": "^FB-(0[1-9]|1[0-9]|2[0-7])$"},
                 "description": "Field bug ids (spec/ncs-aws-fota.md section 11) this scenario reproduces."},
  "seed": i(0, 9223372036854775807, "Seed of every random choice; fota-sim run --seed overrides it."),
  "deadline": d("Limit for the whole run (default 5m)."),
  "invariants": {"type": "boolean", "description": "After the expectations, let the updates settle and check the update invariants (fota-sim run --invariants)."},
  "stack": {"description": "embedded (default), sim, aws, or a map {kind, ...}.",
            "oneOf": [enum(["embedded", "sim", "aws"]),
                      obj({"kind": {"const": "embedded"}, "tls": b("MQTT over TLS like AWS IoT: a client certificate per thing, the client id bound to it.")}, ["kind"]),
                      obj({"kind": {"const": "sim"}}, ["kind"]),
                      obj({"kind": {"const": "url"}, "control_url": s(pattern="^https?://.+"), "mqtt_url": s(pattern="^(mqtt|mqtts|tcp|ssl)://.+"), "object_url": s(pattern="^https?://.+"), "bucket": s(), "tls_dir": s()}, ["kind", "control_url", "mqtt_url", "object_url"]),
                      obj({"kind": {"const": "aws"}, "region": s(), "bucket": s(), "profile": s(), "endpoint": s(), "iot_url": s(pattern="^https://.+"), "iot_data_url": s(pattern="^https://.+"), "s3_url": s(pattern="^https://.+"), "ca_file": s(), "role_arn": s()}, ["kind", "bucket"])]},
  "devices": {"type": "array", "minItems": 1, "items": ref("device_group"), "description": "Device groups."},
  "firmware": {"type": "object", "minProperties": 1, "description": "Firmware images by id.",
               "propertyNames": {"pattern": "^[a-zA-Z0-9_-]{1,64}$", "not": {"const": "erased"}},
               "additionalProperties": ref("firmware")},
  "steps": {"type": "array", "minItems": 1, "items": ref("step"), "description": "The timeline, in order."},
  "expect": {"type": "array", "minItems": 1, "items": ref("expectation"), "description": "Checks of the final state."},
}
schema["$defs"] = defs

text = json.dumps(schema, indent=2) + "\n"
if len(sys.argv) == 3 and sys.argv[1] == "--check":
    with open(sys.argv[2], encoding="utf-8") as stream:
        if stream.read() != text:
            sys.exit(f"{sys.argv[2]} is not what generate_schema.py writes; regenerate it: "
                     f"tests/simulator/scenario/generate_schema.py > {sys.argv[2]}")
    print(f"{sys.argv[2]}: up to date")
else:
    sys.stdout.write(text)
