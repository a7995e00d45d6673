#!/usr/bin/python3
"""Checks scenarios/scenario.schema.json against the parser's test cases and the scenario library.

Every file in the scenario library and in cases/valid must validate against the schema. Every file
in cases/invalid says in its header whether the schema also rejects it ("# schema: rejects") or
whether only the parser can tell ("# schema: accepts", e.g. a job id that no step creates); the
schema must do exactly that. Together with the C++ tests, which check that the parser rejects every
invalid case, this keeps the schema and the parser in step.

Usage: check_schema.py SCHEMA SCENARIO_DIR CASES_DIR
Needs Debian's python3-yaml and python3-jsonschema (scripts/setup installs them).
"""
import glob
import json
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as error:
    sys.exit(f"check_schema.py: {error}; install python3-yaml and python3-jsonschema (scripts/setup)")


def load(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def main():
    schema_path, scenario_dir, cases_dir = sys.argv[1:4]
    with open(schema_path, encoding="utf-8") as stream:
        schema = json.load(stream)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []
    checked = 0

    must_pass = sorted(glob.glob(os.path.join(scenario_dir, "*.yaml")))
    must_pass += sorted(glob.glob(os.path.join(cases_dir, "valid", "*.yaml")))
    if len(must_pass) < 4:
        failures.append(f"only {len(must_pass)} valid files found; wrong folders?")
    for path in must_pass:
        checked += 1
        errors = list(validator.iter_errors(load(path)))
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            failures.append(f"{path}: the schema rejects a valid scenario: {best.message[:300]} "
                            f"at {'/'.join(str(p) for p in best.absolute_path)}")

    invalid = sorted(glob.glob(os.path.join(cases_dir, "invalid", "*.yaml")))
    if len(invalid) < 20:
        failures.append(f"only {len(invalid)} invalid cases found; wrong folder?")
    for path in invalid:
        checked += 1
        with open(path, encoding="utf-8") as stream:
            header = [line for line in stream.read().splitlines() if line.startswith("# schema:")]
        if len(header) != 1 or header[0].split(":", 1)[1].strip() not in ("rejects", "accepts"):
            failures.append(f"{path}: needs one header line '# schema: rejects' or '# schema: accepts'")
            continue
        expect_reject = header[0].split(":", 1)[1].strip() == "rejects"
        try:
            rejected = bool(list(validator.iter_errors(load(path))))
        except yaml.YAMLError:
            rejected = True  # not even YAML
        if rejected != expect_reject:
            verdict = "rejects" if rejected else "accepts"
            failures.append(f"{path}: the schema {verdict} it, but the header says otherwise")

    for failure in failures:
        print(failure)
    print(f"check_schema.py: {checked} files checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
