#!/usr/bin/env bash
# Benchmarks the event rules: `crosstrail scan` over the 700k-event corpus with the built-in rules
# alone, then with two published rule sets added (SigmaHQ's AWS CloudTrail rules and
# Yamato-Security's suzaku-rules for AWS, ~800 rules including correlation rules). Writes
# Benchmarks/results/latest-rules.md.
#   RULES_EVENTS=700000   corpus size
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
OUT=Benchmarks/results
SUZAKU_COMMIT=53068eff1d92c30d04d479f68f7ba3609a28c1b7
SIGMA_COMMIT=8eaafff1f2845a696050e05e72ba1140ee190698
mkdir -p "$OUT/raw" Benchmarks/corpus Benchmarks/corpus/rules
command -v bc >/dev/null || ./scripts/install-deps.sh bc
. Benchmarks/measure.sh

events=${RULES_EVENTS:-700000}
corpus=Benchmarks/corpus/rules-$events
corpus "$corpus" "$events" 30 1000
packs=Benchmarks/corpus/rules
fetch() {  # NAME REPO COMMIT SUBDIR
  [ -d "$packs/$1" ] && return
  echo "downloading $2 at $3"
  mkdir -p "$packs/$1.tmp"
  curl -fsSL "https://codeload.github.com/$2/tar.gz/$3" | tar -xz -C "$packs/$1.tmp" --strip-components=1
  mv "$packs/$1.tmp/$4" "$packs/$1" && rm -rf "$packs/$1.tmp"
}
fetch suzaku-aws Yamato-Security/suzaku-rules "$SUZAKU_COMMIT" suzaku/aws
fetch sigmahq-aws SigmaHQ/sigma "$SIGMA_COMMIT" rules/cloud/aws

count() { "$BIN" rules list "$@" | sed -n 's/^\([0-9]*\) rules, \([0-9]*\) correlation rules.*/\1 rules + \2 correlations/p'; }
builtin=$(count)
extra=$(count --rules "$packs/suzaku-aws" --rules "$packs/sigmahq-aws")
bytes=$(find "$corpus/logs" -name '*.gz' -print0 | xargs -0 cat | zcat | wc -c)

report="$OUT/latest-rules.md"
{
  echo "# Rules benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(( events + 22 )) events ($(( bytes / 1048576 )) MB of JSON)"
  echo
  echo "| rules | wall s | events/s | peak RSS MB | findings | wall ÷ built-ins |"
  echo "|---|---|---|---|---|---|"
} > "$report"
base=""
run() {  # LABEL NAME ARGS...
  local label=$1 name=$2
  shift 2
  find "$corpus/logs" -type f -exec cat {} + > /dev/null
  r=$(measure "$name" "$BIN scan $corpus/logs --inventory Samples/inventory --format json -q -o $OUT/raw/$name.json $*")
  wall=${r% *}
  [ -n "$base" ] || base=$wall
  findings=$(grep -c '"rule":' "$OUT/raw/$name.json" || true)
  printf '| %s | %.2f | %.0f | %d | %s | %.2f |\n' "$label" "$wall" "$(echo "($events + 22) / $wall" | bc -l)" \
    "$(( ${r#* } / 1024 ))" "$findings" "$(echo "$wall / $base" | bc -l)" >> "$report"
  echo "  $label: $wall s"
}
run "built-in ($builtin)" rules-builtin
run "built-in + SigmaHQ AWS + suzaku AWS ($extra)" rules-extra --rules "$packs/suzaku-aws" --rules "$packs/sigmahq-aws"
cat "$report"
