# rewardbatch: the two set-up commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/rewardbatch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit's date, not the clock's: the same commit always builds the same binaries.
DATE    ?= $(shell TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/rewardbatch/rewardbatch/pkg/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)
SAMPLE  := samples/allocations-2026-11.csv
BROKEN  := samples/allocations-broken.csv
# The race detector needs a C compiler; without one the suite still runs, and says so.
RACE    := $(shell $(GO) env CC >/dev/null 2>&1 && command -v $$($(GO) env CC) >/dev/null 2>&1 && echo -race)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test soak cover demo demo-broken console lint bench fuzz clean release

all: lint test build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rewardbatch

## test: the whole suite, with the race detector
test:
	@if [ -z "$(RACE)" ]; then echo "WARNING: no C compiler found: running the tests without -race (install gcc to enable it)"; fi
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || echo "NOTE: no chromium on PATH: the web console's browser test is skipped (apt-get install chromium)"
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo "NOTE: no PostgreSQL binaries (initdb) found: the PostgreSQL ledger tests are skipped (apt-get install postgresql to run them)"
	$(GO) test $(RACE) -count=1 -timeout 15m ./...

## soak: issue 9's randomised soak over many seeds (SOAK_SEEDS=50 by default; SOAK_SEED=7,19 for
## chosen ones): one line per seed here, the whole log in bin/soak.log
SOAK_SEEDS ?= 50
soak:
	@mkdir -p bin
	@echo "soak: $(SOAK_SEEDS) seeds, about 30 s each; the log grows in bin/soak.log"
	@SOAK_SEEDS=$(SOAK_SEEDS) $(GO) test $(RACE) -count=1 -timeout 300m -v -run '^TestSoak$$' ./cmd/rewardbatch >bin/soak.log 2>&1; \
		rc=$$?; grep -E -- '--- (PASS|FAIL): TestSoak/|soak_test.go:[0-9]+: seed [0-9]+:' bin/soak.log; exit $$rc

## cover: coverage of the whole tree, the end-to-end binary's runs included
cover:
	$(GO) test -count=1 -timeout 15m -cover -coverpkg=./... ./...

## demo: the main job on samples/ against the embedded sandbox (no credentials, no real points)
demo: build
	./$(BIN) run --sandbox --rate 200 --workers 16 --no-progress --log-format console --log-level warn $(SAMPLE)

## demo-broken: what validate says about a file with the usual spreadsheet damage (exits 2)
demo-broken: build
	-./$(BIN) validate --log-level warn $(BROKEN)

## console: the HR web console on http://127.0.0.1:8080 against the embedded sandbox, demo users printed at start
console: build
	./$(BIN) serve --sandbox --rate 200 --workers 16 --log-format console --log-level warn

## lint: go vet, staticcheck (pinned, fetched by go run) and a gofmt check
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: every package's benchmarks one package at a time, a profile of the end-to-end run and
## the side-by-side run with a Python thread pool and a curl loop, written to docs/performance.md
## (about 10 min; BENCH_FULL=1 adds the slow validations, BENCH_FILTER=RE runs a part: see bench/run.sh)
bench:
	GO=$(GO) bash bench/run.sh

## fuzz: a short run of every fuzz target
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./pkg/money
	$(GO) test -run '^$$' -fuzz '^FuzzParseWire$$' -fuzztime 30s ./pkg/money
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s ./pkg/allocfile
	$(GO) test -run '^$$' -fuzz FuzzFormulaGuardRoundTrip -fuzztime 30s ./pkg/report
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime 30s ./pkg/validate
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime 30s ./pkg/enkash

## release: static binaries for linux, darwin and windows on amd64 and arm64, with SHA-256 checksums, in dist/
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
SHA256    := $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo "shasum -a 256")
release:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=dist/rewardbatch-$(VERSION)-$$os-$$arch$$ext; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $$out ./cmd/rewardbatch; \
	done
	cd dist && $(SHA256) rewardbatch-* > SHA256SUMS
	@cat dist/SHA256SUMS

clean:
	rm -rf bin dist
