# HeldSway. `make demo` runs the whole pipeline once on this machine;
# `make test` runs every test. See README.md.

GO       ?= go
BIN      := bin/heldsway
DATA_DIR ?= ./.heldsway
PKGS     := ./...

STRIPE_MOCK_VERSION := v0.203.0

.PHONY: all build demo up test test-short vet fmt-check fuzz vulncheck tools clickhouse clickhouse-stop clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/heldsway

## demo: start local ClickHouse and the stack, post an order, show it in Kafka and ClickHouse.
demo: build
	DATA_DIR=$(DATA_DIR) ./scripts/demo.sh

## up: run the whole stack in the foreground (Ctrl-C stops it).
up: build clickhouse
	$(BIN) up --data-dir $(DATA_DIR)

## clickhouse: install (if needed) and start a loopback ClickHouse under DATA_DIR.
clickhouse:
	./deploy/clickhouse/start.sh $(DATA_DIR)/clickhouse

clickhouse-stop:
	./deploy/clickhouse/stop.sh $(DATA_DIR)/clickhouse

## tools: test tools from the Go module proxy (stripe-mock for the Stripe contract tests).
tools: bin/stripe-mock

bin/stripe-mock:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

## test: static checks, then every test with the race detector.
test: vet fmt-check tools
	STRIPE_MOCK_BIN=$(CURDIR)/bin/stripe-mock $(GO) test -race -shuffle=on -count=1 -timeout 20m $(PKGS)

## fuzz: every Fuzz* target, one after the other, FUZZTIME each (seed corpora in testdata/fuzz).
FUZZTIME ?= 10s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## vulncheck: known vulnerabilities in the code paths the binary uses (needs the Go vulnerability database online).
vulncheck: bin/govulncheck
	./bin/govulncheck ./...

# @latest first; v1.1.4 when the latest cannot be installed (a module proxy
# without one of its dependencies).
bin/govulncheck:
	GOBIN=$(CURDIR)/bin $(GO) install golang.org/x/vuln/cmd/govulncheck@latest || \
	GOBIN=$(CURDIR)/bin $(GO) install golang.org/x/vuln/cmd/govulncheck@v1.1.4

test-short:
	$(GO) test -short -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
