# The commands the README names. `make help` lists them.
GO ?= go
REDOCLY ?= npx --yes @redocly/cli@2.77.0

.PHONY: help generate check-generated test lint lint-spec bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

generate: ## Regenerate generated/ from openapi.yaml and oapi-codegen.yaml
	$(GO) generate ./generated

check-generated: generate ## Fail if regenerating changes or adds any file, or go.mod is untidy
	@changed=$$(git status --porcelain -- generated openapi.yaml oapi-codegen.yaml); \
	if [ -n "$$changed" ]; then echo "generated code is stale or edited by hand:"; echo "$$changed"; git --no-pager diff --stat -- generated; exit 1; fi
	$(GO) mod tidy -diff
	@echo "generated/ is up to date"

test: ## Run every test with the race detector
	$(GO) test -race -count=1 ./...

lint: lint-spec ## gofmt, go vet and the spec linter
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

lint-spec: ## Lint openapi.yaml with Redocly (needs npx)
	$(REDOCLY) lint openapi.yaml

bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...
