#!/usr/bin/env bash
# Runs crosstrail and its peers (zcat, Python+orjson, DuckDB, jq|sort) on the same corpora in one
# run and writes Benchmarks/results/latest.md. Sizes: BENCH_SIZES="100k 700k" (add 7m for the big one).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
SIZES=${BENCH_SIZES:-"100k 700k"}
OUT=Benchmarks/results
mkdir -p "$OUT/raw" Benchmarks/corpus
command -v jq >/dev/null && command -v bc >/dev/null || ./scripts/install-deps.sh jq bc
python3 -c "import orjson" 2>/dev/null || pip install -q orjson
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb

events_for() { case "$1" in 100k) echo "100000 5" ;; 700k) echo "700000 30" ;; 7m) echo "7000000 300" ;; *) echo "bad size $1" >&2; exit 2 ;; esac; }

# measure NAME CMD...: wall seconds and peak RSS (KB) of the whole pipeline
measure() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/raw/$name.rss" bash -c "$*" >/dev/null 2>"$OUT/raw/$name.err" || { echo "$name failed:"; cat "$OUT/raw/$name.err"; return 1; }
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(cat "$OUT/raw/$name.rss")"
}

report="$OUT/latest.md"
{
  echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores"
  echo
  echo "| events | tool | wall s | events/s | MB/s (decompressed JSON) | peak RSS MB | crosstrail speedup |"
  echo "|---|---|---|---|---|---|---|"
} > "$report"

for size in $SIZES; do
  read -r n days <<<"$(events_for "$size")"
  corpus=Benchmarks/corpus/$size
  if [ ! -d "$corpus/logs" ]; then
    echo "generating $corpus ($n events)"
    "$BIN" samples --logs-only --out "$corpus" --events "$n" --days "$days" --records-per-file 1000
  fi
  files=$(find "$corpus/logs" -name '*.gz' | sort)
  bytes=$(echo "$files" | xargs cat | zcat | wc -c)
  events=$(( n + 22 ))
  sync
  declare -A wall rss
  run() { local r; r=$(measure "$size-$1" "$2"); wall[$1]=${r% *}; rss[$1]=${r#* }; echo "  $size $1: ${wall[$1]} s, $(( ${rss[$1]} / 1024 )) MB"; }
  echo "$size: $events events, $(( bytes / 1048576 )) MB of JSON"
  run crosstrail "$BIN timeline $corpus/logs --format jsonl -q -o $OUT/raw/$size-crosstrail.jsonl"
  run zcat "find $corpus/logs -name '*.gz' -print0 | sort -z | xargs -0 cat | zcat > /dev/null"
  run python "python3 Benchmarks/peers/timeline.py $corpus $OUT/raw/$size-python.jsonl"
  run duckdb "python3 -c \"import duckdb,sys; duckdb.sql(open('Benchmarks/peers/timeline.sql').read().replace('@CORPUS@', '$corpus').replace('@OUT@', '$OUT/raw/$size-duckdb.jsonl'))\""
  run jq "find $corpus/logs -name '*.gz' -print0 | xargs -0 cat | zcat | jq -c -f Benchmarks/peers/timeline.jq | LC_ALL=C sort -S 200M > $OUT/raw/$size-jq.jsonl"
  for tool in crosstrail zcat python duckdb jq; do
    w=${wall[$tool]}
    printf '| %s | %s | %.2f | %.0f | %.0f | %d | %s |\n' "$events" "$tool" "$w" "$(echo "$events / $w" | bc -l)" \
      "$(echo "$bytes / 1048576 / $w" | bc -l)" "$(( ${rss[$tool]} / 1024 ))" \
      "$( [ $tool = crosstrail ] && echo "—" || printf '%.1f×' "$(echo "$w / ${wall[crosstrail]}" | bc -l)")" >> "$report"
  done
  rm -f "$OUT"/raw/$size-*.jsonl
done
echo
cat "$report"
