"""Loads an evidence pack's OSCAL JSON documents with compliance-trestle's models (strict:
unknown fields, bad UUIDs and naive times are errors). Run with PYTHONPATH pointing at the folder
`make test-setup` installs trestle into (.build-python/trestle).

Usage: trestle_load.py PACK   (one line per document; exits 1 on any problem)
"""
import pathlib
import sys

from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.catalog import Catalog
from trestle.oscal.ssp import SystemSecurityPlan

pack = pathlib.Path(sys.argv[1])
failed = 0
for model, name in [
    (Catalog, "oscal-catalog.json"),
    (SystemSecurityPlan, "oscal-ssp.json"),
    (AssessmentPlan, "oscal-assessment-plan.json"),
    (AssessmentResults, "oscal-assessment-results.json"),
]:
    try:
        # oscal_read returns None for a path that does not exist.
        loaded = model.oscal_read(pack / name) is not None
        print(name, "loaded" if loaded else "missing")
        failed += 0 if loaded else 1
    except Exception as e:  # trestle raises TrestleError (and pydantic's errors) on invalid content
        print(name, "rejected:", " ".join(str(e).split())[:600])
        failed += 1
sys.exit(1 if failed else 0)
