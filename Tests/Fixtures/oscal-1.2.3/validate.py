"""Validates an evidence pack's OSCAL JSON documents against NIST's OSCAL 1.2.3 JSON schemas.

Usage: validate.py PACK   (prints one line per document; exits 1 on any problem)
"""
import json
import os
import sys

import regex
from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENTS = [
    ("oscal-catalog.json", "catalog", None),
    ("oscal-ssp.json", "ssp", ("system-security-plan", "import-profile", "oscal-catalog.json")),
    ("oscal-assessment-plan.json", "assessment-plan", ("assessment-plan", "import-ssp", "oscal-ssp.json")),
    (
        "oscal-assessment-results.json",
        "assessment-results",
        ("assessment-results", "import-ap", "oscal-assessment-plan.json"),
    ),
]


def pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(patrn, instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


Validator = validators.extend(Draft7Validator, {"pattern": pattern})


def main(pack):
    problems = 0
    for name, model, imports in DOCUMENTS:
        with open(os.path.join(HERE, f"oscal_{model}_schema.json")) as f:
            schema = json.load(f)
        with open(os.path.join(pack, name)) as f:
            doc = json.load(f)
        errors = list(Validator(schema, format_checker=FormatChecker()).iter_errors(doc))
        for e in errors[:10]:
            print(f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
        if imports:
            root, key, target = imports
            href = doc[root][key]["href"]
            if href != target or not os.path.isfile(os.path.join(pack, href)):
                print(f"{name}: {key} {href!r} does not resolve to {target} in the pack")
                errors.append(href)
        problems += len(errors)
        print(f"{name}: {'valid' if not errors else f'{len(errors)} problems'}")
    # The results' back-matter names pack files with their SHA-256: each must match the file, and
    # every "#uuid" evidence link must name one of those resources.
    import hashlib
    with open(os.path.join(pack, "oscal-assessment-results.json")) as f:
        results = json.load(f)["assessment-results"]
    resources = {r["uuid"]: r for r in results.get("back-matter", {}).get("resources", [])}
    for r in resources.values():
        for link in r.get("rlinks", []):
            for h in link.get("hashes", []):
                with open(os.path.join(pack, link["href"]), "rb") as f:
                    actual = hashlib.sha256(f.read()).hexdigest()
                if h["algorithm"] != "SHA-256" or h["value"] != actual:
                    print(f"back-matter: {link['href']} hash {h['value']} does not match the file ({actual})")
                    problems += 1
    links = [
        e["href"]
        for res in results["results"]
        for o in res.get("observations", [])
        for e in o.get("relevant-evidence", [])
        if e["href"].startswith("#")
    ]
    dangling = sorted({h for h in links if h[1:] not in resources})
    if dangling or not resources:
        print(f"evidence links without a back-matter resource: {dangling[:5]} ({len(resources)} resources)")
        problems += 1
    print(f"evidence: {len(links)} links to {len(resources)} hashed pack files")
    # Every control the results and the plan name is in the pack's catalog.
    with open(os.path.join(pack, "oscal-catalog.json")) as f:
        catalog = {c["id"] for g in json.load(f)["catalog"]["groups"] for c in g["controls"]}
    with open(os.path.join(pack, "oscal-assessment-plan.json")) as f:
        plan = json.load(f)["assessment-plan"]
    named = [
        c["control-id"]
        for s in plan["reviewed-controls"]["control-selections"]
        for c in s.get("include-controls", [])
    ]
    missing = sorted(set(named) - catalog)
    if missing or not named:
        print(f"controls not in oscal-catalog.json: {missing[:20]}")
        problems += 1
    print(f"controls: {len(named)} named, all in the catalog" if not missing else "controls: missing")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
