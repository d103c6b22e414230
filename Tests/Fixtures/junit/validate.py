"""Validates a JUnit XML report against the Jenkins xUnit plugin's junit-10.xsd, checks each suite's
declared counts against its test cases, and loads it with junitparser (a widely used JUnit reader).

Usage: validate.py [--expect-tests N] [--expect-failures M] FILE
Prints `FILE: /xpath: message` per problem (the first 50), then the counts; exits 0 when valid,
1 when not, 2 on a usage error or an unreadable file.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET

import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

HERE = os.path.dirname(os.path.abspath(__file__))
SHOWN = 50
OUTCOMES = ("failure", "error", "skipped")


def count_problems(root):
    """A suite's tests/failures/errors/skipped (and the root's, where given) must match its cases,
    nested suites included; a case counts once per kind however many elements of it it has."""
    suites = [root] + [s for s in root.iter("testsuite") if s is not root]
    for suite in suites:
        cases = list(suite.iter("testcase"))
        counted = {"tests": len(cases)}
        for kind in OUTCOMES:
            counted[kind if kind == "skipped" else kind + "s"] = sum(c.find(kind) is not None for c in cases)
        for name, n in counted.items():
            declared = suite.get(name)
            if declared is not None and declared != str(n):
                where = f"<{suite.tag} name={suite.get('name')!r}>"
                yield f"{where} {name}={declared!r} but its test cases give {n}"


def suite_cases(suite):
    """junitparser's test cases of a suite and of the suites nested in it."""
    yield from suite
    for inner in suite.testsuites():
        yield from suite_cases(inner)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-tests", type=int, help="the report must hold exactly N test cases")
    parser.add_argument("--expect-failures", type=int, help="exactly M of them must have failed")
    parser.add_argument("file", metavar="FILE")
    args = parser.parse_args()
    path = args.file
    if not os.path.isfile(path):
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"{path}: not XML: {e}")
        return 1
    if root.tag not in ("testsuites", "testsuite"):
        print(f"{path}: the root element <{root.tag}> is neither <testsuites> nor <testsuite>")
        return 1
    schema = xmlschema.XMLSchema(os.path.join(HERE, "junit-10.xsd"))
    problems = [f"{path}: {e.path}: {e.reason}" for e in schema.iter_errors(path)]
    problems += [f"{path}: {p}" for p in count_problems(root)]
    report = JUnitXml.fromfile(path)
    cases = [case for suite in report for case in suite_cases(suite)]
    kinds = [{type(r) for r in case.result} for case in cases]
    failures, errors, skipped = (sum(k in s for s in kinds) for k in (Failure, Error, Skipped))
    if args.expect_tests is not None and len(cases) != args.expect_tests:
        problems.append(f"{path}: {len(cases)} test cases, expected {args.expect_tests}")
    if args.expect_failures is not None and failures != args.expect_failures:
        problems.append(f"{path}: {failures} failures, expected {args.expect_failures}")
    for p in problems[:SHOWN]:
        print(p)
    counts = f"{len(cases)} tests, {failures} failures, {errors} errors, {skipped} skipped"
    print(f"{path}: {f'{len(problems)} problems' if problems else 'valid JUnit XML'} ({counts})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
