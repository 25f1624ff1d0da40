# The commands the README names. `make help` lists them.
GO ?= go
REDOCLY ?= npx --yes @redocly/cli@2.77.0
SPECTRAL ?= npx --yes @stoplight/spectral-cli@6.16.3

.PHONY: help demo generate check-generated regen-experiment test cover fuzz lint lint-spec bench bench-pairs bench-bulk

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

demo: ## Create, update, list, retrieve and delete against the embedded fake (no key, no network)
	$(GO) run ./cmd/demo

generate: ## Regenerate generated/ and wrapper/fields.gen.go from openapi.yaml
	$(GO) generate ./generated

check-generated: ## Fail if regenerating would change or add a generated file, or go.mod is untidy
	@tmp=$$(mktemp -d); cp -r generated "$$tmp/generated"; cp wrapper/fields.gen.go "$$tmp/"; \
	$(MAKE) --no-print-directory generate || { rm -rf "$$tmp"; exit 1; }; \
	if ! diff -r "$$tmp/generated" generated >/dev/null || ! diff "$$tmp/fields.gen.go" wrapper/fields.gen.go >/dev/null; then \
		echo "generated code is stale or edited by hand (it is now regenerated; review and commit it):"; \
		diff -r "$$tmp/generated" generated | head -40; diff "$$tmp/fields.gen.go" wrapper/fields.gen.go | head -20; \
		rm -rf "$$tmp"; exit 1; fi; rm -rf "$$tmp"
	$(GO) mod tidy -diff
	@echo "generated/ is up to date"

regen-experiment: ## On a copy: change the spec, regenerate, check every effect; and that importers get a light go.mod
	$(GO) test -tags experiment -count=1 -run "TestMaintainerExperiment|TestImportersGetALightGoMod" .

test: ## Run every test with the race detector
	$(GO) test -race -count=1 ./...

cover: ## Statement coverage of wrapper/; fails under 85 %
	$(GO) test -count=1 -coverprofile=coverage.out ./wrapper
	@# Generated code (fields.gen.go) is exercised by make regen-experiment, not counted here.
	@grep -v '\.gen\.go:' coverage.out > coverage.hand.out && mv coverage.hand.out coverage.out
	@$(GO) tool cover -func=coverage.out | awk '/^total:/ { sub("%", "", $$3); print "wrapper coverage: " $$3 " %"; if ($$3 + 0 < 85) { print "below 85 %"; exit 1 } }'

# A count, not a duration: with -fuzztime 10s, Go's fuzzing coordinator can
# fail a target with a bare "context deadline exceeded" when a starved worker
# misses the deadline (golang/go#75804); a count has no deadline to race.
FUZZTIME ?= 20000x
fuzz: ## Run each fuzz target for FUZZTIME executions (default 20000x) on top of the committed corpus
	@for f in FuzzDecodeOpportunity FuzzErrorBody FuzzEchoedKey FuzzCustomRoundTrip FuzzPatternChecksMatchTheSpec FuzzIsDateMatchesTimeParse FuzzAppendJSONIsMarshal; do \
		echo "== $$f"; $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./wrapper || exit 1; \
	done

lint: lint-spec ## gofmt, go vet and the spec linter
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

lint-spec: ## Lint openapi.yaml: Redocly (Node.js >= 20.19), else Spectral
	@if node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; then \
		echo "$(REDOCLY) lint openapi.yaml"; $(REDOCLY) lint openapi.yaml; \
	else \
		echo "Node.js $$(node --version 2>/dev/null) is too old for Redocly 2: linting with Spectral"; \
		$(SPECTRAL) lint --fail-severity error openapi.yaml; \
	fi

BENCHCOUNT ?= 6
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench: ## Benchmarks: per-call cost vs the hand-written floor, iterator heap, import throughput (see BENCHMARKS.md)
	$(GO) test -run '^$$' -bench 'Stub|Loopback|Iterator' -benchmem -count $(BENCHCOUNT) ./wrapper | tee bench-wrapper.txt
	$(GO) test -run '^$$' -bench ImportThroughput -benchtime 1x -count $(BENCHCOUNT) ./cmd/opportunities | tee bench-import.txt
	$(BENCHSTAT) -col /impl -filter '.name:/(Stub|Loopback)/' bench-wrapper.txt
	$(BENCHSTAT) -filter '.name:/Iterator/' bench-wrapper.txt
	$(BENCHSTAT) bench-import.txt

PAIRS ?= 25
bench-pairs: ## Stub/Create, Update, Get as a ratio to the floor: the median of PAIRS back-to-back runs (see BENCHMARKS.md)
	@scripts/bench-pairs $(PAIRS)

bench-bulk: ## Bulk import: the shared rate budget at server limits of 10, 20, 40/s; memory of checking 500k and 1M rows
	$(GO) test -run '^$$' -bench ImportSharedBudget -benchtime 1x -count 3 ./cmd/opportunities
	$(GO) test -run '^$$' -bench ImportCheckMemory -benchtime 1x -count 3 ./cmd/opportunities
	$(GO) test -run '^$$' -bench BenchmarkCheck -benchtime 3x ./bulk
