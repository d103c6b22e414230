#!/usr/bin/env bash
# Case store benchmark: ingest throughput and size, incremental rescan with one new file among
# ~1,000 stored, and query times. Writes Benchmarks/results/latest-store.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
OUT=Benchmarks/results
mkdir -p "$OUT/raw" Benchmarks/corpus
. Benchmarks/measure.sh
C700=Benchmarks/corpus/700k
corpus "$C700" 700000 30 1000
C1000=Benchmarks/corpus/store-1000
corpus "$C1000" 350000 30 250
DB=$OUT/raw/store.db DB1000=$OUT/raw/store-1000.db
rm -f "$DB"* "$DB1000"* "$C1000/logs/zz-new-delivery.json.gz"
report="$OUT/latest-store.md"
{ echo "# Store benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"; echo; echo "| task | wall s | peak RSS MB | note |"; echo "|---|---|---|---|"; } > "$report"
row() { local task=$1 note=$2; shift 2; r=$(measure "store-$RANDOM" "$*"); printf '| %s | %.3f | %d | %s |\n' "$task" "${r% *}" "$(( ${r#* } / 1024 ))" "$note" >> "$report"; }
row "timeline, full schema (reference)" "700k events" "$BIN timeline $C700/logs --format jsonl -q -o /dev/null"
row "scan, no store (reference)" "700k events" "$BIN scan $C700/logs -q --format json -o /dev/null"
row "scan --store (ingest)" "700k events" "$BIN scan $C700/logs --store $DB -q --format json -o /dev/null"
size=$(stat -c %s "$DB"); events=$(sqlite3 "$DB" "select count(*) from events")
echo "| store size | — | — | $(( size / 1048576 )) MB for $events events = $(( size / events )) bytes/event |" >> "$report"
row "timeline --store, one session (12 events)" "index" "$BIN timeline --store $DB --actor 'arn:aws:sts::111122223333:assumed-role/databricks-shared-broad/i-0a1b2c3d4e5f60718' -q -o /dev/null"
row "timeline --store, 20 minutes" "index" "$BIN timeline --store $DB --since 2026-08-01T09:30Z --until 2026-08-01T09:50Z -q -o /dev/null"
row "timeline --store, one busy person (67k events)" "decompresses every block" "$BIN timeline --store $DB --actor alice@acme.example -q -o /dev/null"
row "timeline from the logs, same person" "reference" "$BIN timeline $C700/logs --actor alice@acme.example -q -o /dev/null"
files=$(find "$C1000/logs" -type f | wc -l)
row "scan --store, first ingest of $files files" "350k events" "$BIN scan $C1000/logs --store $DB1000 -q --format json -o /dev/null"
f=$(find "$C1000/logs" -name '*.json.gz' -print -quit); cp "$f" "$C1000/logs/zz-new-delivery.json.gz"
row "scan --store --since-last, one new file among $files" "goal < 1 s" "$BIN scan $C1000/logs --store $DB1000 --since-last -q --format json -o /dev/null"
row "scan --store --since-last, nothing new" "" "$BIN scan $C1000/logs --store $DB1000 --since-last -q --format json -o /dev/null"
rm -f "$C1000/logs/zz-new-delivery.json.gz"
echo; cat "$report"
