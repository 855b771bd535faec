# tcdse: `make run` runs the LeNet-5 example sweep on the embedded stack; `make test` runs the tests.
export GOTOOLCHAIN := local
GO      ?= go
GOFLAGS ?=
SPEC    ?= examples/lenet/sweep.yaml
SOURCES := $(shell find . -name '*.go' -not -path './tools/*' 2>/dev/null) go.mod go.sum

.PHONY: all build tools run test test-short vet bench bench-codegen fuzz gen clean motor

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

# The motor-temperature example: an MLP, a TCN and an LSTM trained (Debian's /usr/bin/python3 with
# torch) on ../shared's PMSM subset into out/motor, Go's RMSE checked against torch's, then one
# sweep each. The data is GPL-3: it and everything made from it stay in out/ (never committed).
# Skips when ../shared is absent.
motor:
	examples/motor/run.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: vet tools
	$(GO) test -timeout 25m -count=1 ./...

test-short:
	$(GO) test -short ./...

# Generated C vs the peer code generators (onnx2c, TFLite Micro, ...) on the reference models of
# ../shared/bench: callgrind Ir per inference, code/weight bytes (size -A), arena bytes. The ONNX
# models are exported once into out/bench-models (gitignored) with Debian's /usr/bin/python3.
bench-codegen:
	$(GO) test -run '^$$' -bench BenchmarkPeers -benchtime 1x -count=1 -timeout 30m ./bench/peers/

# Speed and size targets, measured against baselines in the same run: the package benchmarks,
# then the Go interpreter against PyTorch (Debian's /usr/bin/python3 with torch and onnx), both
# single-threaded, on LeNet-5/MNIST, the ad01 autoencoder, a kws01 DS-CNN and an LSTM.
# BENCHFLAGS passes options to bench/cmd/vstorch, e.g. BENCHFLAGS='-rounds 5 -layers'.
BENCHFLAGS ?=
# SEARCHFLAGS passes options to bench/cmd/search (GWP vs random vs NSGA-II by hypervolume), e.g.
# SEARCHFLAGS='-models lenet -seeds 1'.
SEARCHFLAGS ?=
bench: bench-codegen
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./model/ ./codegen/ ./explore/
	$(GO) run ./bench/cmd/vstorch $(BENCHFLAGS)
	$(GO) run ./bench/cmd/prunevstorch
	$(GO) run ./bench/cmd/search $(SEARCHFLAGS)

# Fuzz each parser for a short while (the seed corpora also run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzImportONNX -fuzztime $(FUZZTIME) ./model/
	$(GO) test -run '^$$' -fuzz FuzzReadNPY -fuzztime $(FUZZTIME) ./dataset/
	$(GO) test -run '^$$' -fuzz FuzzUnpack -fuzztime $(FUZZTIME) ./hilbench/
	$(GO) test -run '^$$' -fuzz FuzzImportTFLite -fuzztime $(FUZZTIME) ./model/
	$(GO) test -run '^$$' -fuzz FuzzReadCSV -fuzztime $(FUZZTIME) ./dataset/

# Regenerate committed generated code (needs protoc and protoc-gen-go v1.36.11).
gen:
	$(GO) generate ./model/...

clean:
	rm -rf bin out
