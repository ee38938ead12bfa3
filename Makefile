# Yaosu. `make` lists the targets. Every tool is built from a pinned Go module into .bin/.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN := $(CURDIR)/.bin
# Pinned: the protovalidate release whose buf/validate/validate.proto we compile against.
PROTOVALIDATE_VERSION := v1.2.2
MODULES := pkg proto/gen/go services/audit services/catalog services/ledger services/rights services/scenario cmd/yaosu cmd/yaosuctl
GO_PACKAGES := $(addsuffix /...,$(addprefix ./,$(MODULES)))
TOOLS := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc
VALIDATE_PROTO := third_party/proto/buf/validate/validate.proto

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(TOOLS): tools/go.mod tools/go.sum
	cd tools && GOWORK=off go build -o $(BIN)/ github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc
	@touch $(TOOLS)

# The Buf Schema Registry is unreachable: validate.proto comes from the pinned Go module.
$(VALIDATE_PROTO): Makefile
	@mkdir -p $(dir $@)
	dir=$$(cd tools && GOWORK=off GOFLAGS=-mod=mod go mod download -json github.com/bufbuild/protovalidate@$(PROTOVALIDATE_VERSION) | sed -n 's/^\s*"Dir": "\(.*\)",$$/\1/p'); \
		install -m 0644 "$$dir/proto/protovalidate/buf/validate/validate.proto" $@

.PHONY: tools
tools: $(TOOLS) $(VALIDATE_PROTO) ## Build the pinned code generators into .bin/.

.PHONY: generate
generate: tools ## Regenerate proto/gen/go from proto/ (the generated code is committed).
	find proto/gen/go -name '*.pb.go' -delete
	PATH=$(BIN):$$PATH $(BIN)/buf generate --path proto/yaosu

.PHONY: lint
lint: generate ## buf lint, stale generated code, gofmt, go vet.
	$(BIN)/buf lint --path proto/yaosu
	@if [ -n "$$(git status --porcelain -- proto/gen)" ]; then \
		echo "generated code is stale: run 'make generate' and commit proto/gen"; git status --short -- proto/gen; exit 1; fi
	@unformatted=$$(gofmt -l $(MODULES)); if [ -n "$$unformatted" ]; then \
		echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet $(GO_PACKAGES)

.PHONY: build
build: ## Build yaosu and yaosuctl into .bin/.
	go build -o $(BIN)/ ./cmd/yaosu ./cmd/yaosuctl

# Postgres is found exactly as `yaosu dev` finds it: DATABASE_URL, else localhost:5432,
# else a private cluster under ./var/postgres (installing Debian's postgresql if needed).
.PHONY: test
test: build ## Run every module's tests against real Postgres and in-process JetStream.
	export DATABASE_URL="$$($(BIN)/yaosu dev-postgres)"; \
		go test -race -count=1 -timeout 10m $(GO_PACKAGES)

.PHONY: ci
ci: lint test ## What CI runs: lint, then test.

.PHONY: bench
bench: build ## Benchmarks: CreateAsset vs direct SQL (c=1, c=16); catalogue search and import; audit append, verify of 1M events, proofs; rights checks (c=32) vs direct SQL, revocation latency; scenario usage ingestion (4 streams) vs direct INSERT/COPY, revocation to denied usage; relay drain with and without event signing.
	export DATABASE_URL="$$($(BIN)/yaosu dev-postgres)"; \
		go test -count=1 -run '^$$' -bench CreateAsset -benchtime 3000x -timeout 20m ./services/catalog/ && \
		go test -count=1 -run '^$$' -bench 'Catalog(Search|Import)' -benchtime 1x -timeout 30m ./services/catalog/ && \
		go test -count=1 -run '^$$' -bench . -benchtime 1x -timeout 30m ./services/audit/ && \
		go test -count=1 -run '^$$' -bench RightsCheck -benchtime 1x -timeout 30m ./services/rights/ && \
		go test -count=1 -run '^$$' -bench ScenarioUsage -benchtime 1x -timeout 30m ./services/scenario/ && \
		go test -count=1 -run '^$$' -bench 'RelayDrain|Sign$$|Verify$$' -benchtime 3x -timeout 10m ./pkg/messaging/

# The short profile of the same run is part of `make test`.
.PHONY: chaos
chaos: build ## Fault and attack run (minutes): kill -9 under load, NATS down 90 s, Postgres fast restart, replicas, forged events; prints a table.
	go test -count=1 -run '^TestChaos$$' -v -timeout 30m ./cmd/yaosu/internal/chaos/ -args -chaos.full

# The first build compiles every dependency and takes minutes with no output of its own, so
# say what is happening before it starts.
.PHONY: run
run: ## Start everything in one process (Ctrl-C stops it; data stays in ./var).
	@if [ -x $(BIN)/yaosu ] && [ -x $(BIN)/yaosuctl ]; then \
		echo "building yaosu and yaosuctl into .bin/ (only what changed)…"; \
	else \
		echo "building yaosu and yaosuctl into .bin/ (first time: a few minutes, nothing is printed meanwhile)…"; fi
	@$(MAKE) --no-print-directory build
	@echo "starting yaosu dev: Postgres, NATS, migrations, then the services (the first start initialises ./var)…"
	$(BIN)/yaosu dev
