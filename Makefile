# apicrud for Go. `make run` starts the example service, `make test` runs
# every test against real Redis, PostgreSQL and MariaDB (started if stopped).

GO        ?= go
TOOLS     := $(CURDIR)/.tools
STATICCHECK_VERSION := v0.7.0
GOVULNCHECK_VERSION := v1.1.4
GOCYCLO_VERSION := v0.6.0
FUZZTIME  ?= 20s
BENCHTIME ?= 1s
# ADDR is the address `make run` listens on (make run ADDR=127.0.0.1:9000);
# empty: listen_addr of the configuration (default :8080).
ADDR      ?=

.PHONY: run test services testtools vet lint fuzz bench tools cover

run:
	@./scripts/docs-assets.sh || echo "(the docs page at /api/v1/docs will say how to get Swagger UI)"
	$(GO) run ./examples/contacts $(if $(ADDR),-addr $(ADDR))

services:
	@./scripts/services.sh

# Tools the tests call: promtool (checks the metrics exposition) and an
# OpenAPI validator (checks the example's document), the Swagger UI
# files the example embeds for its docs page, Chromium and the built
# react-admin app (examples/admin) for the browser test. Installed or built
# when absent.
testtools:
	@./scripts/promtool.sh >/dev/null
	@./scripts/openapi-validator.sh --install
	@./scripts/docs-assets.sh
	@./scripts/chromium.sh >/dev/null
	@./scripts/admin-build.sh

vet:
	$(GO) vet ./...

test: services testtools vet
	$(GO) test -race -count=1 -shuffle=on -timeout 30m ./...
	@# examples/routers is a module of its own (chi and echo never become
	@# dependencies of the library): vetted and tested from its directory,
	@# with -mod=mod so that a dependency the library gains since its go.sum
	@# was written is resolved rather than refused.
	cd examples/routers && GOFLAGS=-mod=mod $(GO) vet ./... && GOFLAGS=-mod=mod $(GO) test -race -count=1 -shuffle=on ./...

cover: services
	$(GO) test -count=1 -coverprofile=cover.out ./... && $(GO) tool cover -func=cover.out | tail -1

tools: $(TOOLS)/staticcheck $(TOOLS)/govulncheck $(TOOLS)/gocyclo

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(TOOLS)/govulncheck:
	GOBIN=$(TOOLS) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

$(TOOLS)/gocyclo:
	GOBIN=$(TOOLS) $(GO) install github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO_VERSION)

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...
	@# No library or example function above cyclomatic complexity 30 (tests and bench/ excepted).
	$(TOOLS)/gocyclo -over 30 -ignore '_test\.go$$|^bench/' .
	@./scripts/vulncheck.sh $(TOOLS)/govulncheck

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

bench: services
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./... | tee bench/packages.txt
	@if [ -x bench/run.sh ]; then ./bench/run.sh; fi
