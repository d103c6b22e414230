#!/usr/bin/env bash
# Builds the libFuzzer harness with -sanitize=fuzzer,address and runs every target for
# FUZZ_SECONDS each (default 60) on both cores, seeded from Samples and the test fixtures.
# Crashes land in Fuzz/artifacts/<target>/; copy each into Tests/FuzzRegressions/<target>/ and fix it:
# the test suite replays every file there.
# Usage: Fuzz/run.sh [target...]     FUZZ_SECONDS=600 Fuzz/run.sh ingest
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
SWIFT=${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-$(nproc)}
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(ingest record csv json sigma policy xml inventory classification time dupkeys zip url)

echo "== building the harness (sanitizers: fuzzer, address)"
"$SWIFT" build -c release --scratch-path "$ROOT/.build-fuzz" --product crosstrail-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
BIN="$ROOT/.build-fuzz/release/crosstrail-fuzz"

seeds() {  # seed files for a target, into $1
  local t=$1 dir=$2
  mkdir -p "$dir"
  case $t in
    ingest|record|json)
      find "$ROOT/Samples/logs" "$ROOT/Tests/CrossTrailIngestTests/Fixtures" -type f -size -200k | head -200 | while read -r f; do cp "$f" "$dir/" 2>/dev/null || true; done ;;
    csv) find "$ROOT/Tests" "$ROOT/Samples" -name '*.csv' -size -200k -exec cp {} "$dir/" \; ;;
    sigma) find "$ROOT/Tests/CrossTrailRulesTests/Fixtures" -name '*.yml' | head -100 | while read -r f; do cp "$f" "$dir/$(basename "$f")"; done ;;
    policy|inventory)
      find "$ROOT/Samples/inventory" "$ROOT/Tests/CrossTrailInventoryTests/Fixtures" -name '*.json' -size -500k -exec cp {} "$dir/" \; ;;
    classification) find "$ROOT/Samples" "$ROOT/Tests" -name '*.yaml' -size -100k -exec cp {} "$dir/" \; ;;
    xml) printf '<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>' > "$dir/list.xml"
         printf '<GetAccountAuthorizationDetailsResponse><GetAccountAuthorizationDetailsResult><UserDetailList><member><UserName>a</UserName><UserPolicyList><member><PolicyDocument>%%7B%%7D</PolicyDocument></member></UserPolicyList></member></UserDetailList></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>' > "$dir/iam.xml" ;;
  esac
  [ -d "$ROOT/Tests/FuzzRegressions/$t" ] && cp "$ROOT/Tests/FuzzRegressions/$t"/* "$dir/" 2>/dev/null || true
}

mkdir -p "$ROOT/Fuzz/results"
for t in "${TARGETS[@]}"; do
  corpus="$ROOT/.build-fuzz/corpus/$t"
  seeds "$t" "$corpus"
  mkdir -p "$ROOT/Fuzz/artifacts/$t"
  echo "== $t: ${SECONDS_EACH}s on $JOBS jobs"
  log="$ROOT/.build-fuzz/$t.log"
  # Each target's job logs (fuzz-N.log) go to its own folder, so targets can run side by side.
  work="$ROOT/.build-fuzz/work-$t"; mkdir -p "$work"; pushd "$work" > /dev/null
  set +e
  # SWIFT_BACKTRACE off: Swift's backtracer hung for minutes on a crashing fuzz process (libFuzzer
  # prints the stack itself).
  SWIFT_BACKTRACE=enable=no CROSSTRAIL_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0 "$BIN" "$corpus" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -jobs="$JOBS" -workers="$JOBS" -artifact_prefix="$ROOT/Fuzz/artifacts/$t/" -print_final_stats=1 > "$log" 2>&1
  set -e
  # Count each job once: its own log (fuzz-N.log); the parent's log repeats every finished job's.
  if ls fuzz-*.log > /dev/null 2>&1; then src=(fuzz-*.log); else src=("$log"); fi
  execs=$(grep -h 'stat::number_of_executed_units' "${src[@]}" | awk '{s+=$2} END {print s+0}')
  crashes=$(find "$ROOT/Fuzz/artifacts/$t" -type f | wc -l)
  echo "$t: $execs executions, $crashes crash/timeout artifacts" | tee -a "$ROOT/Fuzz/results/summary.txt"
  rm -f fuzz-*.log
  popd > /dev/null
done
