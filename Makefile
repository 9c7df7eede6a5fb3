# rewardbatch: the two set-up commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/rewardbatch
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/rewardbatch/rewardbatch/pkg/cli.version=$(VERSION)
SAMPLE  := samples/allocations-2026-11.csv
BROKEN  := samples/allocations-broken.csv
# The race detector needs a C compiler; without one the suite still runs, and says so.
RACE    := $(shell $(GO) env CC >/dev/null 2>&1 && command -v $$($(GO) env CC) >/dev/null 2>&1 && echo -race)

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test soak cover demo demo-broken lint bench fuzz clean

all: lint test build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/rewardbatch

## test: the whole suite, with the race detector
test:
	@if [ -z "$(RACE)" ]; then echo "WARNING: no C compiler found: running the tests without -race (install gcc to enable it)"; fi
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

## lint: go vet, staticcheck (pinned, fetched by go run) and a gofmt check
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: benchmarks (engine throughput, validation speed, ledger cost)
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime 3x ./...

## fuzz: a short run of every fuzz target
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./pkg/money
	$(GO) test -run '^$$' -fuzz '^FuzzParseWire$$' -fuzztime 30s ./pkg/money
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s ./pkg/allocfile
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime 30s ./pkg/validate
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime 30s ./pkg/enkash

clean:
	rm -rf bin
