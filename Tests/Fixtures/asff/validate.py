"""Validates AWS Security Finding Format (ASFF) findings as Security Hub's BatchImportFindings would
take them: botocore's own parameter validator against the Security Hub service model, then the
documented ASFF rules the model cannot express (lengths, enums, formats, the custom-integration
product ARN).

Usage: validate.py FILE   (FILE: {"Findings": [...]} as one BatchImportFindings request, or a JSON
array of findings, checked as consecutive requests of up to 100)
Prints `FILE: Findings[N].Path: message` per problem (the first 50), then a summary line; exits 0
when valid, 1 when not, 2 on a usage error or an unreadable file.
"""
import json
import re
import sys
from datetime import datetime

import botocore.session
from botocore.validate import ParamValidator

SHOWN = 50
BATCH = 100  # findings per BatchImportFindings request
FINDING_BYTES = 240 * 1024  # per finding, and 6 MB per request (partner guide)
REQUEST_BYTES = 6 * 1024 * 1024
LABELS = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
NAMESPACES = {
    "Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
    "Sensitive Data Identifications",
}
# Security Hub's timestamp formats: RFC 3339 with up to 9 fraction digits, Z or an offset (+HH, +HH:MM
# or +HHMM) within 18 hours.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-](\d\d)(:?(\d\d))?)")
# A custom integration's own product: arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default
PRODUCT_ARN = re.compile(
    r"arn:aws(-cn|-us-gov)?:securityhub:[a-z]{2}(-[a-z]+)+-\d+:(\d{12}):product/(\d{12})/default"
)

MODEL = botocore.session.get_session().get_service_model("securityhub")
REQUEST = MODEL.operation_model("BatchImportFindings").input_shape
FINDING = REQUEST.members["Findings"].member  # AwsSecurityFinding


def documented_limits(doc):
    """(min, max) from the constraint prose AWS keeps in the model's documentation (the model itself
    carries no lengths for these members): 'Length Constraints: Minimum length of 1. Maximum length
    of 512.', 'Array Members: Maximum number of 32 items.'; a bare 'Length Constraints: 128.' is a
    maximum (AwsAccountId's '12.' is checked as 12 digits in finding_problems)."""
    marker = re.search(r"(?:Length Constraints|Array Members):(.{0,100})", re.sub(r"<[^>]+>", "", doc or ""))
    text = marker[1] if marker else ""
    if m := re.match(r" (\d+)\.", text):
        return None, int(m[1])
    low = re.search(r"Minimum (?:length |number )?of (\d+)", text)
    high = re.search(r"Maximum (?:length|number) of (\d+)", text)
    return (int(low[1]) if low else None), (int(high[1]) if high else None)


def model_problems(value, shape, path):
    """Walks the value along its shape, applying each member's documented limits and each string's
    pattern (botocore checks neither)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                low, high = documented_limits(member.documentation)
                n = len(value[name]) if isinstance(value[name], (str, list)) else None
                if n is not None and ((low is not None and n < low) or (high is not None and n > high)):
                    what = "items" if isinstance(value[name], list) else "characters"
                    limit = f"{low or 0}..{'' if high is None else high}"
                    yield f"{path}.{name}", f"{n} {what}, documented limit {limit}"
                yield from model_problems(value[name], member, f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from model_problems(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from model_problems(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string" and isinstance(value, str) and "pattern" in shape.metadata:
        if not re.fullmatch(shape.metadata["pattern"], value, re.DOTALL):
            yield path, f"{value[:60]!r} does not match the model's pattern {shape.metadata['pattern']}"


def timestamp(value):
    """(datetime, None) for a Security Hub timestamp, else (None, the problem)."""
    m = TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if not m:
        return None, f"{value!r} is not a Security Hub timestamp (e.g. 2026-08-01T00:02:03.000Z)"
    if m[3] and (int(m[3]), int(m[5] or 0)) > (18, 0):
        return None, f"{value!r}: the offset is beyond 18:00"
    fraction = (m[1] or "")[:7]  # datetime keeps microseconds
    offset = "+00:00" if m[2] == "Z" else f"{m[2][0]}{m[3]}:{m[5] or '00'}"
    try:
        return datetime.fromisoformat(value[:19] + fraction + offset), None
    except ValueError:
        return None, f"{value!r} is not a real date and time"


def finding_problems(f, where):
    """The documented ASFF rules beyond the service model, for one finding."""
    if not isinstance(f, dict):
        return
    if f.get("SchemaVersion") != "2018-10-08":
        yield f"{where}.SchemaVersion", f"{f.get('SchemaVersion')!r} is not '2018-10-08'"
    account = f.get("AwsAccountId")
    if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
        yield f"{where}.AwsAccountId", f"{account!r} is not a 12-digit account ID"
    m = PRODUCT_ARN.fullmatch(f.get("ProductArn") or "")
    if not m:
        form = "arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default"
        yield f"{where}.ProductArn", f"{f.get('ProductArn')!r} is not {form}"
    elif not (m[3] == m[4] == account):
        yield f"{where}.ProductArn", f"the account in {f['ProductArn']!r} is not AwsAccountId {account!r}"
    for name, value in f.items():
        if name.endswith("At") and isinstance(value, str) and timestamp(value)[1]:  # botocore types the rest
            yield f"{where}.{name}", timestamp(value)[1]
    created, updated = timestamp(f.get("CreatedAt"))[0], timestamp(f.get("UpdatedAt"))[0]
    if created and updated and updated < created:
        yield f"{where}.UpdatedAt", f"{f['UpdatedAt']} is before CreatedAt {f['CreatedAt']}"
    # Severity and Types may come at the top or (as AWS asks of finding providers) under
    # FindingProviderFields.
    provider = f.get("FindingProviderFields") if isinstance(f.get("FindingProviderFields"), dict) else {}
    places = [(where, f), (f"{where}.FindingProviderFields", provider)]
    severities = [(p, o["Severity"]) for p, o in places if isinstance(o.get("Severity"), dict)]
    if not any("Label" in s or "Normalized" in s for _, s in severities):
        yield where, "no Severity.Label or Severity.Normalized (nor FindingProviderFields.Severity.Label)"
    for p, s in severities:
        if "Label" in s and s["Label"] not in LABELS:
            yield f"{p}.Severity.Label", f"{s['Label']!r} is not one of {', '.join(sorted(LABELS))}"
    types = [(p, o["Types"]) for p, o in places if isinstance(o.get("Types"), list)]
    if not any(t for _, t in types):
        yield where, "no Types (nor FindingProviderFields.Types)"
    for p, t in types:
        for i, entry in enumerate(t):
            parts = entry.split("/") if isinstance(entry, str) else [""]
            if parts[0] not in NAMESPACES or len(parts) > 3 or not all(parts):
                form = "namespace[/category[/classifier]] of an ASFF namespace"
                yield f"{p}.Types[{i}]", f"{entry!r} is not {form}"
    # ProductFields: at most 50 pairs, keys up to 128 and values up to 2,048 characters (the
    # model's documentation; counted in UTF-16 units, as AWS's Java services count them).
    fields = f.get("ProductFields") if isinstance(f.get("ProductFields"), dict) else {}
    if len(fields) > 50:
        yield f"{where}.ProductFields", f"{len(fields)} pairs; at most 50"
    for key, value in fields.items():
        if len(key.encode("utf-16-le")) // 2 > 128:
            yield f"{where}.ProductFields", f"key {key[:40]!r}... is longer than 128 characters"
        if isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > 2048:
            yield f"{where}.ProductFields.{key}", "value is longer than 2048 characters"
    if len(json.dumps(f, separators=(",", ":")).encode()) > FINDING_BYTES:
        yield where, "the finding is larger than 240 KB"


def main(argv):
    if len(argv) != 1:
        print("usage: validate.py FILE", file=sys.stderr)
        return 2
    path = argv[0]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        print(f"{path}: {e.strerror}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"{path}: not JSON: {e}")
        return 1
    if isinstance(doc, list):
        requests = [(n, {"Findings": doc[n:n + BATCH]}) for n in range(0, max(len(doc), 1), BATCH)]
    elif isinstance(doc, dict) and "Findings" in doc:
        requests = [(0, doc)]
    else:
        print(f'{path}: neither {{"Findings": [...]}} nor a JSON array of findings')
        return 1
    problems, seen = [], {}
    for offset, request in requests:
        report = ParamValidator().validate(request, REQUEST)
        if report.has_errors():  # botocore numbers findings within the request
            for line in report.generate_report().splitlines():
                line = re.sub(r"Findings\[(\d+)\]", lambda m: f"Findings[{offset + int(m[1])}]", line)
                problems.append(("", line[:300]))
        if len(json.dumps(request, separators=(",", ":")).encode()) > REQUEST_BYTES:
            problems.append(("", f"the request with findings {offset}.. is larger than 6 MB"))
        findings = request["Findings"] if isinstance(request.get("Findings"), list) else []
        if isinstance(doc, dict) and len(findings) > BATCH:
            problems.append(("Findings", f"{len(findings)} findings; one request takes at most {BATCH}"))
        for i, finding in enumerate(findings, offset):
            problems += model_problems(finding, FINDING, f"Findings[{i}]")
            problems += finding_problems(finding, f"Findings[{i}]")
            if isinstance(finding, dict):  # Security Hub keys findings on (ProductArn, Id)
                key = (finding.get("ProductArn"), finding.get("Id"))
                if key in seen:
                    message = f"{key[1]!r} repeats Findings[{seen[key]}] (the later overwrites it)"
                    problems.append((f"Findings[{i}].Id", message))
                seen.setdefault(key, i)
    for where, message in problems[:SHOWN]:
        print(f"{path}: {where.lstrip('.')}: {message}" if where else f"{path}: {message}")
    total = sum(len(request["Findings"]) for _, request in requests if isinstance(request["Findings"], list))
    print(f"{path}: {f'{len(problems)} problems in' if problems else 'valid:'} {total} findings")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
