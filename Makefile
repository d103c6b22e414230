# crosstrail — the two commands a new user needs are `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
CONFIG ?= release
BIN = .build/$(CONFIG)/crosstrail
# System libraries the build links: simdjson (JSON), libdeflate and zlib (gzip), LZ4 (spilled sorted
# runs of large timelines), SQLite (case store;
# the sqlite3 shell is used by tests to inspect stores), libxml2 (XML schema validation and AWS
# responses) and libcurl (HTTPS fetchers), both found through pkg-config; ICU's C API (rule regular
# expressions with a limit on the work per match).
APT_PACKAGES = libsimdjson-dev libdeflate-dev zlib1g-dev liblz4-dev libsqlite3-dev sqlite3 libxml2-dev libcurl4-openssl-dev libicu-dev pkg-config
# What only the tests need: headless Chromium renders the HTML report; OpenSSL makes the test CA
# and checks signatures independently; the AWS CLI's digest validator and botocore's signer check
# crosstrail's; moto's server stands in for S3 and IAM; pySigma validates exported rules;
# ocsf-json-schema, xmlschema and junitparser validate the OCSF and JUnit outputs (Python
# module=package pairs).
TEST_APT_PACKAGES = chromium fonts-dejavu-core openssl python3 python3-pip
TEST_PIP_PACKAGES = awscli=awscli botocore=botocore boto3=boto3 moto.server=moto[server] sigma.validation=pysigma jsonschema=jsonschema regex=regex \
	ocsf_json_schema=ocsf-json-schema==1.2.0 xmlschema=xmlschema==4.3.2 junitparser=junitparser==5.0.3

.PHONY: setup test-setup build demo test lint format bench samples fuzz tsan clean

## Install the system libraries the build links (Debian/Ubuntu; needs root or sudo).
setup:
	@./scripts/install-deps.sh $(APT_PACKAGES)

# compliance-trestle loads the packs' OSCAL strictly; it goes into its own folder (not the system's
# site-packages), so its pins cannot clash with the AWS CLI's.
TRESTLE = compliance-trestle==5.2.0
TRESTLE_DIR = .build-python/trestle

## Install what the tests need besides the build (Chromium, OpenSSL, the AWS CLI, moto's server).
test-setup: setup
	@./scripts/install-deps.sh $(TEST_APT_PACKAGES)
	@./scripts/install-pip.sh $(TEST_PIP_PACKAGES)
	@./scripts/install-pip-target.sh $(TRESTLE_DIR) $(TRESTLE)

build: setup
	$(SWIFT) build -c $(CONFIG) --product crosstrail

## Set everything up, regenerate the demo dataset, write Reports/ and print the incident and findings.
demo: build
	@mkdir -p Reports
	$(BIN) samples --out Samples
	$(BIN) timeline Samples/logs --format table --stats-json Reports/demo-stats.json > Reports/demo-timeline.txt
	$(BIN) timeline Samples/logs --format jsonl --quiet --attribute --inventory Samples/inventory > Reports/demo-timeline.jsonl
	$(BIN) scan Samples/logs --inventory Samples/inventory --format json --quiet -o Reports/demo-findings.json
	$(BIN) scan Samples/logs --inventory Samples/inventory --format table --quiet -o Reports/demo-findings.txt
	$(BIN) report Samples/logs --inventory Samples/inventory --public-keys Samples/keys/cloudtrail-public-keys.json \
		--period 2026-08-01..2026-08-03 --generated-at 2026-09-01T00:00:00Z --out Reports/evidence-2026-08 --force
	$(BIN) verify Reports/evidence-2026-08
	@echo
	@echo "== The planted incident: everything alice@acme.example did, on both planes =="
	$(BIN) timeline Samples/logs --since 2026-08-01T09:30Z --until 2026-08-01T09:50Z --attribute --inventory Samples/inventory --actor alice@acme.example --format table
	@echo
	@echo "== Findings at high severity and above (all: Reports/demo-findings.txt) =="
	@$(BIN) scan Samples/logs --inventory Samples/inventory --format table --min-severity high --quiet | grep -E '^(CRITICAL|HIGH)'
	@echo
	@echo "Reports/: evidence-2026-08/ (evidence pack: open evidence-2026-08/index.html), demo-timeline.txt (table),"
	@echo "         demo-timeline.jsonl (attributed), demo-stats.json, demo-findings.json, demo-findings.txt"

## Run the test suite (debug build).
test: test-setup lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Check the formatting (.swift-format; `make format` applies it).
lint:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive --parallel Sources Tests Package.swift

## Benchmarks against zcat, jq, Python, DuckDB and cloudsplaining, and the case store (see Benchmarks/README.md).
bench: build
	./Benchmarks/run.sh
	./Benchmarks/scan.sh
	./Benchmarks/store.sh
	./Benchmarks/report.sh
	./Benchmarks/rules.sh

## Fuzz every parser with libFuzzer + AddressSanitizer (FUZZ_SECONDS per target, default 60; see Fuzz/README.md).
fuzz: setup
	./Fuzz/run.sh

## The parallel paths (ingest, timeline merge, analysis, store) under ThreadSanitizer.
tsan: test-setup
	$(SWIFT) build --build-tests --scratch-path .build-tsan -Xswiftc -sanitize=thread
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --skip-build --scratch-path .build-tsan \
		--filter 'CrossTrailIngestTests|CrossTrailTimelineTests|CrossTrailAnalysisTests|CrossTrailStoreTests|DigestValidatorTests'

clean:
	rm -rf .build .build-fuzz .build-tsan
