# Strata: a Redis-compatible server on a storage engine of its own.
GO        ?= go
BIN       := bin/strata-server
PKGS      := ./...
FUZZTIME  ?= 30s
TESTFLAGS ?=
# Options of the server comparison (bench/serverbench), e.g. BENCHFLAGS="-n 20000 -rounds 1".
BENCHFLAGS ?=
# Options of the engine comparison with Pebble (bench/enginecmp); the default
# leaves out the 10,000,000-key workloads (minutes per engine on 2 cores):
# ENGINECMPFLAGS= runs them too.
ENGINECMPFLAGS ?= -workloads fillseq,fillrandom,readrandom,readmissing,scan,overwrite,deleterange

.PHONY: all build run test test-short lint bench bench-server bench-engine bench-enginecmp bench-gc fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/strata-server

# Builds and starts the server on 127.0.0.1:6379 with its data under ./data.
run: build
	mkdir -p data
	./$(BIN) --bind 127.0.0.1 --port 6379 --dir ./data

# All tests, with the race detector and the invariants build tag.
test:
	$(GO) test -race -tags invariants -timeout 20m $(TESTFLAGS) $(PKGS)

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

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
