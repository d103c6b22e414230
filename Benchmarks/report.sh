#!/usr/bin/env bash
# Evidence pack benchmark: `crosstrail report` over the 700k-event corpus (analysis pass, attributed
# timeline, HTML/XML/OSCAL, hashing), `verify` of the pack, and the timeline alone for reference.
# Writes Benchmarks/results/latest-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
OUT=Benchmarks/results
mkdir -p "$OUT/raw" Benchmarks/corpus
. Benchmarks/measure.sh
C700=Benchmarks/corpus/700k
corpus "$C700" 700000 30 1000
PACK=$OUT/raw/pack-700k
rm -rf "$PACK" "$PACK.zip"
report="$OUT/latest-report.md"
{ echo "# Evidence pack benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"; echo; echo "| task | wall s | peak RSS MB | note |"; echo "|---|---|---|---|"; } > "$report"
row() { local task=$1 note=$2; shift 2; r=$(measure "report-$RANDOM" "$*"); printf '| %s | %.3f | %d | %s |\n' "$task" "${r% *}" "$(( ${r#* } / 1024 ))" "$note" >> "$report"; }
row "timeline, full schema (reference)" "700k events" "$BIN timeline $C700/logs --format jsonl -q -o /dev/null"
row "report" "700k events, 50k rows in HTML/XML" "$BIN report $C700/logs --out $PACK -q --generated-at 2026-09-01T00:00:00Z"
row "verify" "hash every file, validate both XML files" "$BIN verify $PACK -q"
echo "| pack size | — | — | $(du -sm "$PACK" | cut -f1) MB ($(du -sm "$PACK/timeline.jsonl" | cut -f1) MB timeline.jsonl, $(du -sm "$PACK/index.html" | cut -f1) MB index.html) |" >> "$report"
echo; cat "$report"
