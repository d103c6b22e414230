"""Validates OCSF 1.6.0 events and findings, one JSON object a line, against the OCSF schema.

Usage: validate.py [--expect-classes 3002,6003] FILE...
Prints `FILE:LINE: /json/pointer: message` per problem (the first 50 a file), then a summary line
per file; exits 0 when every line is valid, 1 when any is not, 2 on a usage error.
"""
import argparse
import json
import re
import sys
from collections import Counter

from jsonschema import Draft202012Validator, ValidationError, validators
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

VERSION = "1.6.0"
SHOWN = 50
OCSF = get_ocsf_schema(VERSION)  # schema.ocsf.io's export of 1.6.0, shipped in the wheel
SCHEMAS = OcsfJsonSchemaEmbedded(OCSF)  # class schemas with every object under $defs: no fetching


def deprecated(validator, value, instance, schema):
    if value:
        yield ValidationError(f"is deprecated in OCSF {VERSION}")


# OCSF marks attributes `deprecated`; the keyword is an annotation in draft 2020-12, so report uses
# of them (as warnings, not errors).
Validator = validators.extend(Draft202012Validator, {"deprecated": deprecated})
_validators = {}


def validator_for(class_name, profiles):
    key = (class_name, tuple(sorted(set(profiles))))
    if key not in _validators:
        _validators[key] = Validator(SCHEMAS.get_class_schema(class_name, list(key[1])))
    return _validators[key]


def pointer(path):
    return "/" + "/".join(str(p) for p in path)


def caption_errors(value, attributes, path=()):
    """Each enum `_id` whose caption sibling is present must carry the enum's caption (OCSF leaves
    the caption free only for `Other`); checked at every level of objects the schema defines."""
    for name, attr in attributes.items():
        if name not in value:
            continue
        sibling, enum = attr.get("sibling"), attr.get("enum")
        if sibling in value and enum:
            ids, captions = value[name], value[sibling]
            if not attr.get("is_array"):
                ids, captions = [ids], [captions]
            if isinstance(ids, list) and isinstance(captions, list) and len(ids) == len(captions):
                for i, caption in zip(ids, captions):
                    expected = enum.get(str(i), {}).get("caption")
                    if expected and not expected.endswith("Other") and caption != expected:
                        message = f"{caption!r} is not the caption of {name} {i} ({expected!r})"
                        yield pointer(path + (sibling,)), message
        child = OCSF["objects"].get(attr.get("object_type", ""))
        if child and value[name] is not None:
            array = attr.get("is_array") and isinstance(value[name], list)
            for n, item in enumerate(value[name] if array else [value[name]]):
                if isinstance(item, dict):
                    where = path + ((name, n) if array else (name,))
                    yield from caption_errors(item, child["attributes"], where)


def line_errors(event, seen):
    """Yields (pointer, message, is_warning) for one decoded line."""
    if not isinstance(event, dict):
        yield "/", "a line must be a JSON object", False
        return
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    if metadata.get("version") != VERSION:
        yield "/metadata/version", f"{metadata.get('version')!r} is not {VERSION!r}", False
    try:
        class_name = SCHEMAS.lookup_class_name_from_uid(event.get("class_uid"))
    except (ValueError, TypeError):
        yield "/class_uid", f"{event.get('class_uid')!r} is not an OCSF {VERSION} class", False
        return
    seen.add(event["class_uid"])
    cls = OCSF["classes"][class_name]
    profiles = metadata.get("profiles") or []
    profiles = [p for p in profiles if isinstance(p, str)] if isinstance(profiles, list) else []
    for p in profiles:
        if p not in cls.get("profiles", []):
            yield "/metadata/profiles", f"profile {p!r} does not apply to class {class_name}", False
    for e in validator_for(class_name, profiles).iter_errors(event):
        message = e.message[:300]
        if e.validator in ("anyOf", "oneOf"):  # OCSF's at_least_one and just_one constraints
            names = ", ".join(r["required"][0] for r in e.validator_value)
            message = f"needs {'at least' if e.validator == 'anyOf' else 'exactly'} one of: {names}"
        yield pointer(e.absolute_path), message, e.validator == "deprecated"
    activity = event.get("activity_id")
    type_uid = event["class_uid"] * 100 + activity if isinstance(activity, int) else None
    if type_uid is not None and event.get("type_uid") not in (None, type_uid):
        yield "/type_uid", f"{event['type_uid']!r} is not class_uid * 100 + activity_id ({type_uid})", False
    for where, message in caption_errors(event, cls["attributes"]):
        yield where, message, False


def check(path, seen):
    lines = valid = errors = 0
    deprecated_uses = Counter()
    with open(path, "rb") as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            lines += 1
            try:
                event = json.loads(text.decode("utf-8"))
            except ValueError as e:  # not JSON, or not UTF-8
                found = [("/", f"not JSON: {e}", False)]
            else:
                found = list(line_errors(event, seen))
            for where, message, warning in found:
                if warning:
                    deprecated_uses[re.sub(r"/\d+(?=/|$)", "/*", where)] += 1
                    continue
                errors += 1
                if errors <= SHOWN:
                    print(f"{path}:{number}: {where}: {message}")
            valid += all(warning for _, _, warning in found)
    if deprecated_uses:
        uses = ", ".join(f"{p} ({n})" for p, n in deprecated_uses.most_common())
        print(f"{path}: warning: attributes deprecated in OCSF {VERSION}: {uses}")
    print(f"{path}: {valid} lines valid of {lines}" + (f", {errors} errors" if errors else "")
          + ("" if lines else " (no events)"))
    return lines > 0 and valid == lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-classes", default="", help="class_uids that must appear, e.g. 3002,6003")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args()
    try:
        expected = {int(c) for c in args.expect_classes.split(",") if c.strip()}
    except ValueError:
        parser.error("--expect-classes takes class_uids separated by commas")
    seen, ok = set(), True
    for path in args.files:
        try:
            ok &= check(path, seen)
        except OSError as e:
            print(f"{path}: {e.strerror}", file=sys.stderr)
            return 2
    if expected - seen:
        print(f"class_uids expected but not found: {', '.join(map(str, sorted(expected - seen)))}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
