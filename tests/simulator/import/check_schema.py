#!/usr/bin/python3
"""Validates scenario files written by fota-sim import against scenarios/scenario.schema.json (the
schema editors read), so that an imported skeleton opens without warnings in an editor too.

Usage: check_schema.py SCHEMA FILE...
Needs Debian's python3-yaml and python3-jsonschema (scripts/setup installs them).
"""
import json
import sys

import jsonschema
import yaml


def main():
    schema_path, files = sys.argv[1], sys.argv[2:]
    with open(schema_path, encoding="utf-8") as stream:
        validator = jsonschema.Draft202012Validator(json.load(stream))
    failures = 0
    for path in files:
        with open(path, encoding="utf-8") as stream:
            errors = list(validator.iter_errors(yaml.safe_load(stream)))
        for error in errors:
            print(f"{path}: {'/'.join(str(p) for p in error.path)}: {error.message}")
        failures += len(errors)
    print(f"check_schema.py: {len(files)} files, {failures} schema errors")
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main())
