# Strata: a Redis-compatible server on a storage engine of its own.
GO        ?= go
BIN       := bin/strata-server
PKGS      := ./...
FUZZTIME  ?= 30s
FUZZFLAGS ?=
TESTFLAGS ?=

.PHONY: all build run test test-short lint bench bench-gc fuzz clean

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

# Benchmarks: the engine's micro-benchmarks and the comparison with Pebble.
# The in-engine GC on the windowed-sets workload (issue 5): GCFLAGS passes
# options, e.g. GCFLAGS="-n 100000 -period 6s" for a shorter run.
bench-gc:
	cd bench && $(GO) run ./gcbench $(GCFLAGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./lsm/
	cd bench && $(GO) run ./enginecmp

# Runs every fuzz target of every package (most are in fuzz/) for FUZZTIME
# each, one after the other; FUZZFLAGS=-parallel=1 keeps it to one worker.
# See docs/RELIABILITY.md.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
