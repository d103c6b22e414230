# crosstrail — the two commands a new user needs are `make demo` and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
CONFIG ?= release
BIN = .build/$(CONFIG)/crosstrail
# System libraries the build links: simdjson (JSON), libdeflate and zlib (gzip).
APT_PACKAGES = libsimdjson-dev libdeflate-dev zlib1g-dev

.PHONY: setup build demo test bench samples clean

## Install the system libraries the build links (Debian/Ubuntu; needs root or sudo).
setup:
	@./scripts/install-deps.sh $(APT_PACKAGES)

build: setup
	$(SWIFT) build -c $(CONFIG) --product crosstrail

## Set everything up, regenerate the demo dataset and print its timeline.
demo: build
	@mkdir -p Reports
	$(BIN) samples --out Samples
	$(BIN) timeline Samples/logs --format table --stats-json Reports/demo-stats.json > Reports/demo-timeline.txt
	$(BIN) timeline Samples/logs --format jsonl --quiet > Reports/demo-timeline.jsonl
	@echo
	@echo "== The planted incident (alice@acme.example and the cluster's instance-profile role) =="
	$(BIN) timeline Samples/logs --since 2026-08-01T09:30Z --until 2026-08-01T09:50Z --actor alice@acme.example --actor "*/i-0a1b2c3d4e5f60718" --format table
	@echo
	@echo "Full timeline: Reports/demo-timeline.txt (table), Reports/demo-timeline.jsonl; statistics: Reports/demo-stats.json"

## Run the test suite (debug build).
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Benchmarks against zcat, jq, Python and DuckDB (see Benchmarks/README.md).
bench: build
	./Benchmarks/run.sh

clean:
	rm -rf .build
