#!/usr/bin/env bash
# Runs crosstrail (the full JSONL schema, and --fields with the peers' 8 fields) and its peers
# (zcat, Python+orjson, DuckDB, jq|sort) on the same corpora in one run; writes
# Benchmarks/results/latest.md.
#   BENCH_SIZES="100k 700k"   corpus sizes (add 7m for 7 million events, ~10 GB of JSON)
#   BENCH_TOOLS="..."         subset of: crosstrail crosstrail-8f zcat python duckdb jq
#   BENCH_REPEAT=3            runs per tool and size (the median wall time is reported; 7m: 1)
# Before every run the corpus is read once (so each tool starts with it in the page cache, whatever
# the previous tool's output evicted) and dirty pages are synced.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
SIZES=${BENCH_SIZES:-"100k 700k"}
TOOLS=${BENCH_TOOLS:-"crosstrail crosstrail-8f zcat python duckdb jq"}
OUT=Benchmarks/results
mkdir -p "$OUT/raw" Benchmarks/corpus
command -v jq >/dev/null && command -v bc >/dev/null || ./scripts/install-deps.sh jq bc
python3 -c "import orjson" 2>/dev/null || pip install -q orjson
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb

events_for() { case "$1" in 100k) echo "100000 5" ;; 700k) echo "700000 30" ;; 7m) echo "7000000 300" ;; *) echo "bad size $1" >&2; exit 2 ;; esac; }

. Benchmarks/measure.sh

command_for() {
  local tool=$1 size=$2 corpus=$3
  case $tool in
    crosstrail) echo "$BIN timeline $corpus/logs --format jsonl -q -o $OUT/raw/$size-$tool.jsonl" ;;
    crosstrail-8f) echo "$BIN timeline $corpus/logs --fields id,time,plane,service,action,outcome,actor.key,sourceIPAddress -q -o $OUT/raw/$size-$tool.jsonl" ;;
    zcat) echo "find $corpus/logs -name '*.gz' -print0 | sort -z | xargs -0 cat | zcat > /dev/null" ;;
    python) echo "python3 Benchmarks/peers/timeline.py $corpus $OUT/raw/$size-$tool.jsonl" ;;
    duckdb) echo "python3 -c \"import duckdb; duckdb.sql(open('Benchmarks/peers/timeline.sql').read().replace('@CORPUS@', '$corpus').replace('@OUT@', '$OUT/raw/$size-$tool.jsonl'))\"" ;;
    jq) echo "find $corpus/logs -name '*.gz' -print0 | xargs -0 cat | zcat | jq -c -f Benchmarks/peers/timeline.jq | LC_ALL=C sort -S 200M > $OUT/raw/$size-$tool.jsonl" ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
}

report="$OUT/latest.md"
{
  echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
  echo
  echo "| events | tool | wall s | events/s | MB/s of JSON | peak RSS MB | output MB | wall ÷ crosstrail full | wall ÷ crosstrail 8 fields |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$report"

for size in $SIZES; do
  read -r n days <<<"$(events_for "$size")"
  corpus=Benchmarks/corpus/$size
  corpus "$corpus" "$n" "$days" 1000
  bytes=$(find "$corpus/logs" -name '*.gz' -print0 | xargs -0 cat | zcat | wc -c)
  events=$(( n + 22 ))
  echo "$size: $events events, $(( bytes / 1048576 )) MB of JSON"
  repeat=${BENCH_REPEAT:-$([ "$size" = 7m ] && echo 1 || echo 3)}
  declare -A wall=() rss=() outmb=()
  for tool in $TOOLS; do
    walls=()
    peak=0
    for ((i = 0; i < repeat; i++)); do
      rm -f "$OUT/raw/$size-$tool.jsonl"
      find "$corpus/logs" -type f -exec cat {} + > /dev/null
      sync
      r=$(measure "$size-$tool" "$(command_for "$tool" "$size" "$corpus")")
      walls+=("${r% *}")
      [ "${r#* }" -gt "$peak" ] && peak=${r#* }
    done
    wall[$tool]=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rss[$tool]=$peak
    f="$OUT/raw/$size-$tool.jsonl"
    outmb[$tool]=$( [ -f "$f" ] && echo $(( $(stat -c %s "$f") / 1048576 )) || echo 0 )
    rm -f "$f"
    echo "  $tool: ${wall[$tool]} s (median of: ${walls[*]}), $(( ${rss[$tool]} / 1024 )) MB peak RSS"
  done
  for tool in $TOOLS; do
    w=${wall[$tool]}
    ratio() { [ -n "${wall[$1]:-}" ] && printf '%.2f' "$(echo "$w / ${wall[$1]}" | bc -l)" || echo "—"; }
    printf '| %s | %s | %.2f | %.0f | %.0f | %d | %s | %s | %s |\n' "$events" "$tool" "$w" "$(echo "$events / $w" | bc -l)" \
      "$(echo "$bytes / 1048576 / $w" | bc -l)" "$(( ${rss[$tool]} / 1024 ))" "${outmb[$tool]}" "$(ratio crosstrail)" "$(ratio crosstrail-8f)" >> "$report"
  done
done
echo
cat "$report"
