"""Validates a SARIF log against OASIS's SARIF 2.1.0 JSON schema, plus what a code-scanning importer
needs: each result names a rule of its run's driver, has a location and a fingerprint (the schema
itself limits baselineState to new/unchanged/updated/absent).

Usage: validate.py FILE
Prints `FILE: /json/pointer: message` per problem (the first 50), then a summary line; exits 0 when
valid, 1 when not, 2 on a usage error or an unreadable file.
"""
import json
import os
import re
import sys
from datetime import datetime
from urllib.parse import urlsplit

from jsonschema import Draft4Validator, FormatChecker

HERE = os.path.dirname(os.path.abspath(__file__))
SHOWN = 50

# The schema's formats, checked with the standard library so the outcome does not depend on which
# optional jsonschema format packages happen to be installed.
formats = FormatChecker([])
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


@formats.checks("date-time", raises=ValueError)
def is_date_time(value):
    if isinstance(value, str) and RFC3339.fullmatch(value):
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # rejects month 13 and the like
    return not isinstance(value, str) or bool(RFC3339.fullmatch(value))


@formats.checks("uri")
def is_uri(value):
    return not isinstance(value, str) or (bool(urlsplit(value).scheme) and not re.search(r"\s", value))


@formats.checks("uri-reference")
def is_uri_reference(value):
    return not isinstance(value, str) or not re.search(r"\s", value)


def pointer(*path):
    return "/" + "/".join(str(p) for p in path)


def dig(value, *keys):
    """value[k1][k2]..., or None where a step is missing or of the wrong type (the schema says so)."""
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return value


def listed(value):
    return value if isinstance(value, list) else []


def result_problems(run, r):
    """The checks beyond the schema, for the results of runs/R."""
    rules = [dig(rule, "id") for rule in listed(dig(run, "tool", "driver", "rules"))]
    for i, result in enumerate(listed(dig(run, "results"))):
        where = ("runs", r, "results", i)
        rule_id = dig(result, "ruleId")
        if rule_id is None:
            yield pointer(*where), "result has no ruleId"
        elif rule_id not in rules:
            yield pointer(*where, "ruleId"), f"{rule_id!r} is not a rule of tool.driver.rules"
        index = dig(result, "ruleIndex")
        if isinstance(index, int) and index >= 0 and (index >= len(rules) or rules[index] != rule_id):
            yield pointer(*where, "ruleIndex"), f"{index} does not point at rule {rule_id!r}"
        # GitHub code scanning rejects the whole upload when a result has no file and line
        # (sarif-sdk's GitHub rules GH1001 artifactLocation.uri, GH1003 region.startLine).
        locations = listed(dig(result, "locations"))
        if not locations:
            yield pointer(*where, "locations"), "result has no location"
        for j, loc in enumerate(locations):
            if not dig(loc, "physicalLocation", "artifactLocation", "uri"):
                yield pointer(*where, "locations", j), "no physicalLocation.artifactLocation.uri"
            elif not isinstance(dig(loc, "physicalLocation", "region", "startLine"), int):
                yield pointer(*where, "locations", j), "no physicalLocation.region.startLine"
        if not (dig(result, "partialFingerprints") or dig(result, "fingerprints")):
            yield pointer(*where), "result has neither partialFingerprints nor fingerprints"


def main(argv):
    if len(argv) != 1:
        print("usage: validate.py FILE", file=sys.stderr)
        return 2
    path = argv[0]
    with open(os.path.join(HERE, "sarif-schema-2.1.0.json")) as f:
        schema = json.load(f)
    try:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
    except OSError as e:
        print(f"{path}: {e.strerror}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"{path}: not JSON: {e}")
        return 1
    problems = [
        (pointer(*e.absolute_path), e.message[:300])
        for e in Draft4Validator(schema, format_checker=formats).iter_errors(log)
    ]
    runs = listed(dig(log, "runs"))
    for r, run in enumerate(runs):
        problems += list(result_problems(run, r))
    for where, message in problems[:SHOWN]:
        print(f"{path}: {where}: {message}")
    results = sum(len(listed(dig(run, "results"))) for run in runs)
    if problems:
        print(f"{path}: {len(problems)} problems ({len(runs)} runs, {results} results)")
        return 1
    print(f"{path}: valid SARIF 2.1.0 ({len(runs)} runs, {results} results)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
