#!/usr/bin/env bash
# Benchmarks `crosstrail scan` on a large generated inventory against cloudsplaining (the
# open-source IAM authorization-details analyzer a team would otherwise run), and the scan's event
# pass on the timeline corpus. Writes Benchmarks/results/latest-scan.md.
#   SCAN_USERS=3000 SCAN_ROLES=1000 SCAN_DBX_USERS=5000 SCAN_CLUSTERS=500   inventory size
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/crosstrail}
OUT=Benchmarks/results
INV=Benchmarks/corpus/inventory
mkdir -p "$OUT/raw" Benchmarks/corpus
command -v cloudsplaining >/dev/null || pip install -q cloudsplaining
if [ ! -f "$INV/aws/iam-authorization-details.json" ]; then
  python3 Benchmarks/gen-inventory.py "$INV" --users "${SCAN_USERS:-3000}" --roles "${SCAN_ROLES:-1000}" \
    --dbx-users "${SCAN_DBX_USERS:-5000}" --clusters "${SCAN_CLUSTERS:-500}"
fi
mkdir -p "$INV-aws/aws" && cp "$INV/aws/iam-authorization-details.json" "$INV-aws/aws/"

. Benchmarks/measure.sh

report="$OUT/latest-scan.md"
echo "# Scan benchmark $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" > "$report"
echo >> "$report"
echo "| task | tool | wall s | peak RSS MB | output MB |" >> "$report"
echo "|---|---|---|---|---|" >> "$report"
row() {  # TASK TOOL NAME OUTPUT CMD
  local task=$1 tool=$2 name=$3 output=$4
  shift 4
  r=$(measure "$name" "$*")
  mb=$( [ -e "$output" ] && echo $(( $(du -sb "$output" | cut -f1) / 1048576 )) || echo 0 )
  printf '| %s | %s | %.2f | %d | %s |\n' "$task" "$tool" "${r% *}" "$(( ${r#* } / 1024 ))" "$mb" >> "$report"
  echo "  $task / $tool: ${r% *} s"
}
users=$(python3 -c "import json; d=json.load(open('$INV/aws/iam-authorization-details.json')); print(len(d['UserDetailList']), 'users,', len(d['RoleDetailList']), 'roles,', len(d['Policies']), 'policies')")
rm -rf "$OUT/raw/cloudsplaining" && mkdir -p "$OUT/raw/cloudsplaining"
row "IAM only ($users)" "crosstrail scan" scan-aws "$OUT/raw/scan-aws.json" \
  "$BIN scan --inventory $INV-aws --format json -q -o $OUT/raw/scan-aws.json"
row "IAM only ($users)" "cloudsplaining scan" cloudsplaining "$OUT/raw/cloudsplaining" \
  "cloudsplaining scan --input-file $INV/aws/iam-authorization-details.json --output $OUT/raw/cloudsplaining --skip-open-report"
row "IAM + Databricks ($(ls $INV/databricks/permissions/clusters | wc -l) clusters, $(grep -o '"userName"' $INV/databricks/scim-users.json | wc -l) workspace users)" \
  "crosstrail scan" scan-all "$OUT/raw/scan-all.json" "$BIN scan --inventory $INV --format json -q -o $OUT/raw/scan-all.json"
if [ -d Benchmarks/corpus/700k/logs ]; then
  row "700k events + Samples inventory" "crosstrail scan" scan-700k "$OUT/raw/scan-700k.json" \
    "$BIN scan Benchmarks/corpus/700k/logs --inventory Samples/inventory --format json -q -o $OUT/raw/scan-700k.json"
fi
echo
cat "$report"
