# tcdse: `make run` runs the LeNet-5 example sweep on the embedded stack; `make test` runs the tests.
export GOTOOLCHAIN := local
GO      ?= go
GOFLAGS ?=
SPEC    ?= examples/lenet/sweep.yaml
SOURCES := $(shell find . -name '*.go' -not -path './tools/*' 2>/dev/null) go.mod go.sum

.PHONY: all build tools run test test-short vet bench fuzz gen clean

all: build tools

build: bin/tcdse

bin/tcdse: $(SOURCES)
	$(GO) build -o $@ ./cmd/tcdse

# The Temporal CLI, pinned to v1.5.1 in its own module (tools/go.mod): v1.6+ does not build here.
tools: bin/temporal

bin/temporal: tools/go.mod tools/go.sum
	cd tools && $(GO) build -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$$($(GO) list -m -f '{{.Version}}' github.com/temporalio/cli | sed 's/^v//')" \
		-o ../bin/temporal github.com/temporalio/cli/cmd/temporal

run: build tools
	./bin/tcdse run $(SPEC)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: vet tools
	$(GO) test -timeout 25m -count=1 ./...

test-short:
	$(GO) test -short ./...

# Speed and size targets, measured against baselines in the same run.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./model/ ./codegen/ ./explore/

# Fuzz each parser for a short while (the seed corpora also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzImportONNX -fuzztime $(FUZZTIME) ./model/
	$(GO) test -run '^$$' -fuzz FuzzReadNPY -fuzztime $(FUZZTIME) ./dataset/
	$(GO) test -run '^$$' -fuzz FuzzUnpack -fuzztime $(FUZZTIME) ./hilbench/

# Regenerate committed generated code (needs protoc and protoc-gen-go v1.36.11).
gen:
	$(GO) generate ./model/...

clean:
	rm -rf bin out
