# HeldSway. `make demo` runs the whole pipeline once on this machine;
# `make test` runs every test. See README.md.

GO       ?= go
# The Go release the project is built and scanned with: go.mod's toolchain
# line, fetched by the go command from the module proxy when the installed
# Go is older (1.26.10 fixes net/http, crypto/tls and crypto/x509
# vulnerabilities that govulncheck finds reachable under 1.26.8). Set
# GOTOOLCHAIN=local to build with the installed Go instead.
GOTOOLCHAIN ?= go1.26.10
export GOTOOLCHAIN
BIN      := bin/heldsway
# The benchmark's Goka baseline, a binary of its own so that Goka, Sarama
# and LevelDB stay out of heldsway; `heldsway bench` runs it from beside
# its own executable.
GOKA_PEER := bin/heldsway-goka-peer
DATA_DIR ?= ./.heldsway
PKGS     := ./...

STRIPE_MOCK_VERSION := v0.203.0

.PHONY: all build demo up test test-short vet fmt-check fuzz vulncheck vulndb tools clickhouse clickhouse-stop clean

all: build

# -buildvcs=auto: stamp the commit into the binary (heldsway --version) even
# where the go env turns VCS stamping off; a tree without git builds anyway.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/heldsway
	$(GO) build -buildvcs=auto -o $(GOKA_PEER) ./bench/cmd/goka-peer

## demo: the product's story once: codes, a click, orders, a refund, then the
## attributions, the adjustment, the fraud flag and the report row.
demo:
	@echo "==> building $(BIN) (the first build downloads the Go toolchain $(GOTOOLCHAIN) and the modules: a few minutes, once)"
	@$(MAKE) --no-print-directory build
	DATA_DIR=$(DATA_DIR) ./scripts/demo.sh

## up: run the whole stack in the foreground (Ctrl-C stops it). Clicks on
## /c/{code} redirect to DESTINATION (the shop's landing page).
DESTINATION ?= https://shop.example/
up:
	@echo "==> building $(BIN) (the first build downloads the Go toolchain $(GOTOOLCHAIN) and the modules: a few minutes, once)"
	@$(MAKE) --no-print-directory build clickhouse
	$(BIN) up --data-dir $(DATA_DIR) --destination default=$(DESTINATION)

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

## vulncheck: known vulnerabilities in the code paths the binary uses, checked
## against a local copy of the Go vulnerability database (bin/vulndb, built by
## `make vulndb` from the golang.org/x/vulndb module's OSV reports).
vulncheck: bin/govulncheck bin/vulndb
	./bin/govulncheck -db file://$(CURDIR)/bin/vulndb ./...

## vulndb: rebuild the local vulnerability database from the newest reports.
vulndb:
	rm -rf bin/vulndb
	$(MAKE) bin/vulndb

# The database: the OSV reports the Go security team publishes in the
# golang.org/x/vulndb module, indexed by its own indexdb command into the
# layout govulncheck reads with -db file://. @latest for current reports;
# the pinned version when the latest cannot be had.
VULNDB_PINNED := v0.0.0-20261105234957-e22db6528018
bin/vulndb:
	@set -e; \
	v=$$($(GO) list -m -f '{{.Version}}' golang.org/x/vulndb@latest 2>/dev/null || echo $(VULNDB_PINNED)); \
	echo "vulnerability database: golang.org/x/vulndb@$$v"; \
	dir=$$($(GO) mod download -json golang.org/x/vulndb@$$v | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	test -d "$$dir/data/osv"; \
	GOBIN=$(CURDIR)/bin $(GO) install golang.org/x/vulndb/cmd/indexdb@$$v; \
	rm -rf bin/vulndb.tmp; \
	./bin/indexdb -vulns "$$dir/data/osv" -out bin/vulndb.tmp; \
	mv bin/vulndb.tmp bin/vulndb

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
