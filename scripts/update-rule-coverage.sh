#!/usr/bin/env bash
# Regenerates the coverage table in Docs/rules.md from the rules (`crosstrail rules coverage`).
# A test (DocsTests) fails when the table is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
table=$("$BIN" rules coverage)
python3 - "$table" <<'PY'
import sys, re
table = sys.argv[1]
path = "Docs/rules.md"
text = open(path).read()
begin, end = "<!-- coverage:begin -->", "<!-- coverage:end -->"
i, j = text.index(begin) + len(begin), text.index(end)
open(path, "w").write(text[:i] + "\n" + table.rstrip("\n") + "\n" + text[j:])
PY
echo "Docs/rules.md: coverage table updated"
