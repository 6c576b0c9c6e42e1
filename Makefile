# spantree: the two commands to start with are `make demo` and `make test`
# (docs/contributing.md).
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: all build demo test check vet test-runtime test-root test-benchmarks e2e bench bench-ui bench-receiver bench-clickhouse bench-build bench-rewrite bench-mod fuzz runtime-archive showcase clean

all: build

build: bin/spangen
	$(GO) build -o bin/spantree ./cmd/spantree

# bin/spangen and bin/testsum are rebuilt every time (go build's cache makes
# that quick), so they are never stale.
.PHONY: bin/spangen bin/testsum
bin/spangen:
	$(GO) build -o bin/spangen ./cmd/spangen

bin/testsum:
	$(GO) build -o bin/testsum ./internal/testsum

# demo instruments a temporary copy of the sample program in testdata/demo with
# spangen, runs it, and shows its tree. The checkout is not modified. It
# builds spangen only: the tree sink is the runtime's, so spantree is not
# needed. The demo's modules download while spangen builds.
demo:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp -R testdata/demo/. "$$tmp" && \
	{ (cd "$$tmp" && $(GO) mod download) & deps=$$!; } && \
	$(GO) build -o bin/spangen ./cmd/spangen && wait $$deps && \
	echo "spangen -w ./... in a copy of testdata/demo ($$tmp)" && \
	(cd "$$tmp" && $(CURDIR)/bin/spangen -w -replace $(CURDIR) ./... && \
	 SPANTREE_SINK=tree SPANTREE_SERVICE=demo $(GO) run .)

vet:
	$(GO) vet ./...
	cd runtime && $(GO) vet ./...
	cd benchmarks && $(GO) vet ./...

# TOOLS runs a tool of internal/tools/go.mod (goimports, staticcheck), which
# the go command builds on first use: nothing to install by hand.
TOOLS = $(GO) tool -modfile=$(CURDIR)/internal/tools/go.mod

# check is what make test runs before the tests: gofmt, goimports (imports
# grouped std first; testdata holds inputs and outputs of the rewriter, kept
# as they are), go vet and staticcheck over the three modules, and go vet of
# the runtime for other systems and architectures. Staticcheck
# leaves out SA4016 (protobuf tags are written field<<3|wiretype, wire type
# 0 included) and, in the runtime, SA1012 (its internal start takes a nil
# context to mean that the function has none).
check: vet
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt -l:"; echo "$$files"; exit 1; fi
	@files=$$($(TOOLS) goimports -l $$(find . -name '*.go' -not -path '*/testdata/*' -not -path './internal/tools/*')); \
	if [ -n "$$files" ]; then echo "goimports -l (imports to group or sort):"; echo "$$files"; exit 1; fi
	$(TOOLS) staticcheck -checks inherit,-SA4016 ./...
	cd runtime && $(TOOLS) staticcheck -checks inherit,-SA1012 ./...
	cd benchmarks && $(TOOLS) staticcheck ./...
	@# The runtime builds wherever programs run, not only here.
	cd runtime && for t in linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 linux/386 js/wasm; do 		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./... || exit 1; done

test-runtime:
	cd runtime && $(GO) test -race -count=1 ./...

test-root:
	$(GO) test -race -count=1 -timeout 30m ./...

test-benchmarks:
	cd benchmarks && $(GO) test -count=1 ./...

# test runs check and every test of the three modules (with the race detector,
# except in benchmarks/), printing a line per package as it finishes, the output
# of failing tests, what still runs when nothing finished for 30s, and one
# summary line: N passed, N failed (internal/testsum).
test: check bin/testsum
	bin/testsum -C runtime $(GO) test -race -count=1 ./... \
		--- $(GO) test -race -count=1 -timeout 30m ./... \
		--- -C benchmarks $(GO) test -count=1 ./...

# showcase renders docs/showcase.png, the README's image: the sample program
# run with its log lines and instrumented, side by side (tmux and Chromium).
showcase:
	$(GO) run ./internal/showcase -o docs/showcase.png

# e2e builds Jaeger v2 once (cached in ~/.cache/spantree) and runs two
# instrumented processes against it.
e2e:
	./e2e/run.sh

bench:
	./benchmarks/bench.sh -benchtime=300ms

bench-ui:
	$(GO) test ./ui -run '^$$' -bench . -benchmem

# bench-receiver runs `spantree serve` and Jaeger v2 (built once, cached:
# see e2e/jaeger.sh) as processes side by side under the same load
# (BenchmarkReceiver: each case RECEIVER_SPANS spans), then the in-process
# benchmarks. RECEIVER_COUNT=3 repeats each case for medians.
RECEIVER_SPANS ?= 200000
RECEIVER_COUNT ?= 1
bench-receiver: build
	SPANTREE_BIN=$(CURDIR)/bin/spantree SPANTREE_JAEGER=$$(./e2e/jaeger.sh) \
		$(GO) test -run '^$$' -bench Receiver -benchtime $(RECEIVER_SPANS)x -count $(RECEIVER_COUNT) ./server/
	$(GO) test -run '^$$' -bench 'IngestHTTP|TraceLookup' -benchtime 5000x -benchmem ./server/
	$(GO) test -run '^$$' -bench Ingest -benchtime 2000x -benchmem ./store/sqlite/

# bench-clickhouse stores BENCH_SPANS spans (default 10M) through one
# receiver on SQLite and through two receivers on a two-shard ClickHouse
# cluster (servers started by the benchmark; it skips without
# clickhouse-server), and reports for each the ingest rate, trace lookups'
# p50 and p99, and the p99 of the dashboard, slow, health and trace-list
# queries (docs/receiver.md, "ClickHouse").
BENCH_SPANS ?= 10000000
bench-clickhouse:
	SPANTREE_BENCH_SPANS=$(BENCH_SPANS) $(GO) test -run '^$$' -bench ScaleOut -benchtime 2000x -timeout 6h ./cmd/spantree/

bench-rewrite:
	./benchmarks/rewrite.sh

# bench-mod runs a real module's own benchmarks plain and instrumented
# (default ksuid; benchmarks/modbench.sh MODULE@VERSION [REGEXP [COUNT]]).
bench-mod:
	./benchmarks/modbench.sh

# bench-build times spangen go build against plain go build (and orchestrion).
bench-build:
	./toolexec/bench/bench.sh

fuzz:
	$(GO) test ./rewrite -run '^$$' -fuzz FuzzRewrite -fuzztime 30s
	$(GO) test ./server -run '^$$' -fuzz FuzzDecode -fuzztime 30s
	$(GO) test ./otlp -run '^$$' -fuzz FuzzDecode -fuzztime 30s
	$(GO) test ./internal/runtimetest -run '^$$' -fuzz FuzzJSONString -fuzztime 30s
	$(GO) test ./query -run '^$$' -fuzz FuzzParse -fuzztime 30s

# runtime-archive refreshes the copy of runtime/ that spangen carries for
# compile-time instrumentation; run it after changing runtime/.
runtime-archive:
	cd toolexec && $(GO) generate .

clean:
	rm -rf bin
