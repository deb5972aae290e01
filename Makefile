# The front door: `make help` lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Tests that need what `make test` installs fail instead of skipping; so do
# tests of ../shared/data when it is present (CI has it). btcd is built by
# the tests themselves from the tool dependency in go.mod.
comma := ,
REQUIRE := postgres,btcdata,btcd,chromium,webui$(if $(wildcard ../shared/data),$(comma)shared,)
# The race detector needs cgo and a C compiler. It runs on the packages with
# concurrency of their own (servers, stores, queues); the parsers of large
# real data sets run without it, where it would multiply their time tenfold.
RACE := $(if $(shell command -v gcc 2>/dev/null),-race,)
NORACE_RE := /internal/(address|watchlist|blkfile|btcscript|btcnet|btcsim|stix|btcindex|txclass|txgraph|cluster|trace)$$

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: build
build: ui ## build bin/trawl with the web UI
	$(GO) build -o bin/trawl ./cmd/trawl

.PHONY: demo
demo: ui ## build the web UI, then run the demo hub on a fresh embedded store
	$(GO) run ./cmd/trawl demo

# The web UI: npm packages from web/package-lock.json, bundled by Vite into
# internal/httpapi/webui/dist/app, which the binary embeds. Without it, `go
# build` still works and the server shows a page that says to run this.
.PHONY: ui
ui: ## build the web UI (needs Node.js 20 and npm)
	@command -v npm >/dev/null || { echo "make ui: npm not found; install Node.js 20 (the server still builds without the UI)"; exit 1; }
	cd web && npm ci --no-audit --no-fund && npm run build

.PHONY: deps
deps: ## install what the tests need (PostgreSQL server binaries, Chromium)
	@bash scripts/test-deps.sh

.PHONY: lint
lint: ## gofmt, go vet, staticcheck, go mod tidy check
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@cp go.mod /tmp/trawl-go.mod.$$$$ && cp go.sum /tmp/trawl-go.sum.$$$$ && $(GO) mod tidy && \
	  if ! cmp -s go.mod /tmp/trawl-go.mod.$$$$ || ! cmp -s go.sum /tmp/trawl-go.sum.$$$$; then \
	    echo "go.mod/go.sum were not tidy (now fixed: commit them)"; rm -f /tmp/trawl-go.*.$$$$; exit 1; fi; rm -f /tmp/trawl-go.*.$$$$

.PHONY: test
# Both runs always happen; testreport reads their events and decides.
test: deps lint ui ## install test dependencies, lint, build the UI, run every test (PostgreSQL and Chromium included)
	@race=$$($(GO) list ./... | grep -Ev '$(NORACE_RE)'); norace=$$($(GO) list ./... | grep -E '$(NORACE_RE)'); \
	{ TRAWL_TEST_REQUIRE=$(REQUIRE) $(GO) test -count=1 -timeout 25m $(RACE) -json $$race || true; \
	  TRAWL_TEST_REQUIRE=$(REQUIRE) $(GO) test -count=1 -timeout 25m -json $$norace || true; \
	  TRAWL_TEST_REQUIRE=$(REQUIRE) $(GO) test -count=1 -timeout 10m -json -run '^TestBrowser' ./internal/httpapi || true; } \
	  | $(GO) run ./tools/testreport -must-run .ci/must-run.txt

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$t/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$t $$f"; $(GO) test -run XXX -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$t || exit 1; done; done

.PHONY: bench
bench: ## run the benchmarks (figures in README.md come from here)
	$(GO) test -run XXX -bench . -benchmem -count 5 ./internal/... | tee bench.out
	$(GO) run ./bench taxii screen | tee -a bench.out
