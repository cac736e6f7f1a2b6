# Strata: a Redis-compatible server on a storage engine of its own.
GO        ?= go
BIN       := bin/strata-server
PKGS      := ./...
FUZZTIME  ?= 30s
CYCLES    ?= 20
MODES     ?= always,everysec,appendonly-no
FUZZFLAGS ?=
TESTFLAGS ?=
# Options of the server comparison (bench/serverbench), e.g. BENCHFLAGS="-n 20000 -rounds 1".
BENCHFLAGS ?=
# Options of the engine comparison with Pebble (bench/enginecmp); the default
# leaves out the 10,000,000-key workloads (minutes per engine on 2 cores):
# ENGINECMPFLAGS= runs them too.
ENGINECMPFLAGS ?= -workloads fillseq,fillrandom,readrandom,readmissing,scan,overwrite,deleterange

.PHONY: all build run test test-jemalloc test-short lint bench bench-server bench-engine bench-enginecmp bench-gc fuzz crashtest clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/strata-server

# Builds and starts the server on 127.0.0.1:6379 with its data under ./data.
run: build
	mkdir -p data
	./$(BIN) --bind 127.0.0.1 --port 6379 --dir ./data

# All tests, with the race detector and the invariants build tag; then the
# engine's packages again in the jemalloc build.
test:
	$(GO) test -race -tags invariants -timeout 20m $(TESTFLAGS) $(PKGS)
	cd bench && $(GO) test -timeout 5m $(TESTFLAGS) ./internal/... ./serverbench/
	$(GO) test -run '^TestServerMemoryAccounting$$' -timeout 10m $(TESTFLAGS) ./server/
	@$(MAKE) --no-print-directory test-jemalloc

# The engine's packages and their users (codec, server, fuzz) in the
# jemalloc build (cgo, libjemalloc-dev; buffers off the Go heap, where a
# use after Free reads poisoned or unmapped memory), without the race
# detector: the suites under -short, then
# the full-size memory tests (the RSS bound is meaningless under -race;
# the server's accounting test compares with jemalloc's own figure).
# Without jemalloc's header or cgo it is skipped with a message, except under
# CI=true, where that is an error.
JEMALLOC_PKGS := ./jemallocprof/ ./memtable/ ./sstable/ ./wal/ ./lsm/ ./codec/ ./server/ ./fuzz/
test-jemalloc:
	@if [ "$$($(GO) env CGO_ENABLED)" != 1 ] || \
	   ! echo '#include <jemalloc/jemalloc.h>' | $$($(GO) env CC) -E -x c - >/dev/null 2>&1; then \
	  if [ "$$CI" = true ]; then echo "test-jemalloc: needs cgo and libjemalloc-dev (CI=true)"; exit 1; fi; \
	  echo "test-jemalloc: skipped: needs cgo and libjemalloc-dev (apt-get install libjemalloc-dev)"; \
	else \
	  $(GO) test -tags jemalloc,invariants -short -timeout 20m $(TESTFLAGS) $(JEMALLOC_PKGS) && \
	  $(GO) test -tags jemalloc -run '^(TestRSSBoundedDuringScan|TestMemoryAccountingComplete)$$' -timeout 20m $(TESTFLAGS) ./lsm/ && \
	  $(GO) test -tags jemalloc -run '^TestServerMemoryAccounting$$' -timeout 10m $(TESTFLAGS) ./server/; \
	fi

test-short:
	$(GO) test -short $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -run TestImportRules ./internal/layering/

# Benchmarks (bench/README.md). make bench: Strata against redis-server under
# redis-benchmark, everysec and always (docs/BENCHMARKS.md is rewritten), then
# the engine against Pebble. The engine's micro-benchmarks: make bench-engine.
bench: bench-server bench-enginecmp

bench-server:
	cd bench && $(GO) run ./serverbench -root .. -out ../docs/BENCHMARKS.md $(BENCHFLAGS)

bench-enginecmp:
	cd bench && $(GO) run ./enginecmp $(ENGINECMPFLAGS)

bench-engine:
	$(GO) test -run '^$$' -bench . -benchmem ./lsm/

# The in-engine GC on the windowed-sets workload (issue 5): GCFLAGS passes
# options, e.g. GCFLAGS="-n 100000 -period 6s" for a shorter run.
bench-gc:
	cd bench && $(GO) run ./gcbench $(GCFLAGS)

# Runs every fuzz target of every package (most are in fuzz/) for FUZZTIME
# each, one after the other; FUZZFLAGS=-parallel=1 keeps it to one worker.
# See docs/RELIABILITY.md.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg || exit 1; \
	  done; \
	done

# Kills a real strata-server CYCLES times per persistence mode and checks
# what each restart shows (internal/crashtest); `make test` runs a few cycles.
crashtest: build
	$(GO) run ./cmd/strata-crashtest -bin $(BIN) -cycles $(CYCLES) -modes $(MODES)

clean:
	rm -rf bin
