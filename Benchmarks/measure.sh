# Sourced by the benchmark scripts. Needs $OUT and $BIN.
# corpus DIR EVENTS DAYS RECORDS_PER_FILE: generates a synthetic log corpus into DIR unless it exists
corpus() {
  [ -d "$1/logs" ] && return
  echo "generating $1 ($2 events)"
  "$BIN" samples --logs-only --out "$1" --events "$2" --days "$3" --records-per-file "$4"
}
# measure NAME CMD: prints wall seconds and peak RSS (KB; for pipelines, the largest process)
measure() {
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/raw/$name.rss" bash -c "$*" >/dev/null 2>"$OUT/raw/$name.err" || { echo "$name failed:" >&2; cat "$OUT/raw/$name.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $(tail -1 "$OUT/raw/$name.rss")"
}
