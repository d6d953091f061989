# Bindery: the two commands are `make run` and `make test`.
GO        ?= go
BIN       := bin/bindery
EXAMPLES  := hello kv-rest r2-files d1-todo durable-counter chat-room queue-pipeline cron-report
WASM      := $(foreach e,$(EXAMPLES),examples/$(e)/$(e).wasm)
GUEST_ENV := GOOS=wasip1 GOARCH=wasm
# GO_MODULES are the repository's Go modules: the root, guest-sdk/go and
# each Go Worker (examples/hello, conformance/go, ...). A Go Worker is a
# module of its own, with a replace to ../guest-sdk/go, so that the root
# module does not require the guest SDK: a module that depends on bindery
# would not see the root's replace and could not resolve it.
GO_MODULES  := $(sort $(patsubst ./%,%,$(patsubst %/go.mod,%,$(shell find . \( -name .git -o -name node_modules -o -name testdata \) -prune -o -name go.mod -print))))
GO_WORKERS  := $(filter-out . guest-sdk/go,$(GO_MODULES))

.PHONY: all build examples run test test-short check generate bench testdata clean fuzz

all: build examples

build:
	$(GO) build -o $(BIN) ./cmd/bindery

examples: $(WASM)

examples/%.wasm: FORCE
	cd $(dir $@) && $(GUEST_ENV) $(GO) build -buildmode=c-shared -o $(notdir $@) .

FORCE:

# PORT is the port make run serves on (make run PORT=9000).
PORT := $(or $(PORT),8787)

## run: build the CLI and the examples, then serve examples/kv-rest on 127.0.0.1:$(PORT) (PORT=8787 unless given)
run: build examples
	cd examples/kv-rest && ../../$(BIN) dev --no-build --port $(PORT)

# PREFIX is where make install puts bin/bindery: PREFIX/bin (default the
# first GOPATH entry, so $(go env GOPATH)/bin, which "go install" also uses).
PREFIX := $(or $(PREFIX),$(firstword $(subst :, ,$(shell $(GO) env GOPATH))))

.PHONY: install
## install: build bin/bindery and copy it to $(PREFIX)/bin/bindery (make install PREFIX=/usr/local)
install: build
	install -d "$(PREFIX)/bin"
	install -m 0755 $(BIN) "$(PREFIX)/bin/bindery"
	@echo "installed $(PREFIX)/bin/bindery"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on your PATH; add it (export PATH=\"$(PREFIX)/bin:\$$PATH\") or run $(PREFIX)/bin/bindery";; esac

## test: everything CI runs. testrun prints go test's usual output, then the
## skips and the conformance summary; with CI=true a skip not listed in
## .ci/expected-skips fails the run.
TESTRUN := $(GO) run ./internal/cmd/testrun -go $(GO) -expected-skips .ci/expected-skips
test: check
	$(TESTRUN) -C guest-sdk/go -- -count=1 ./...
	$(TESTRUN) -- -race -count=1 -timeout 60m ./...

## test-short: unit tests only (no CLI process tests)
test-short:
	$(GO) test -short -count=1 ./...

## check: generated code fresh, gofmt, go vet (host and guest), go.mod tidy
check:
	$(GO) run ./cmd/bindery-bindgen -check
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd guest-sdk/go && $(GUEST_ENV) $(GO) vet ./...
	@set -e; for m in $(GO_WORKERS); do echo "cd $$m && $(GUEST_ENV) $(GO) vet ./..."; (cd $$m && $(GUEST_ENV) $(GO) vet ./...); done
	@set -e; for m in $(GO_MODULES); do echo "cd $$m && $(GO) mod tidy -diff"; (cd $$m && $(GO) mod tidy -diff) || { echo "go.mod or go.sum of $$m is not tidy: cd $$m && $(GO) mod tidy"; exit 1; }; done

# FUZZTIME is how long make fuzz runs each fuzz target (a duration or Nx,
# as go test -fuzztime takes); FUZZ, a regexp, picks targets by package
# directory and name (make fuzz FUZZ=wrangler FUZZTIME=1m).
FUZZTIME ?= 10s
FUZZ     ?=

## fuzz: run every fuzz target for FUZZTIME (10s) each, one go test -fuzz per target; stops at the first failure, whose input go test leaves in the package's testdata/fuzz/ (CI runs it after make test)
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZ='$(FUZZ)' .ci/fuzz

## generate: regenerate host glue and guest bindings from wit/
generate:
	$(GO) run ./cmd/bindery-bindgen

## bench: Go benchmarks of the request path, KV and host calls (see docs/benchmarks.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./host/ ./bindings/...

.PHONY: bench-http
## bench-http: loopback HTTP load of bindery dev vs a bare net/http+Badger server (RUNS=3 for the docs; see docs/benchmarks.md)
bench-http:
	bench/run-http.sh

## testdata: rebuild the WAT fixtures (needs wabt's wat2wasm)
testdata:
	cd host/testdata && ./build.sh

clean:
	rm -rf bin $(WASM)
