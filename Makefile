# spantree: the two commands of the README are `make demo` and `make test`.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: demo test vet test-root test-runtime bench build

build:
	$(GO) build ./...
	cd runtime && $(GO) build ./...

# demo instruments the sample program under testdata/demo, runs it and shows its tree.
demo:
	$(GO) run ./testdata/demo

vet:
	$(GO) vet ./...
	cd runtime && $(GO) vet ./...

test-runtime:
	cd runtime && $(GO) test -race -count=1 ./...

test-root:
	$(GO) test -race -count=1 ./...

# test runs vet and every test with the race detector, in both modules.
test: vet test-runtime test-root

bench:
	cd benchmarks && $(GO) test -run=^$$ -bench=. -benchmem -count=1 ./...
