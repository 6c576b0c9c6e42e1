// Package e2e holds the end-to-end tests that need more than the Go
// toolchain: they run instrumented programs (under testdata, written as
// spangen -w leaves them) against a real OpenTelemetry backend, Jaeger v2,
// and check through Jaeger's query API what the programs sent; others run a
// real Prometheus that scrapes the receiver and a real Alertmanager that
// gets its alerts (Debian's prometheus and prometheus-alertmanager, which
// they skip without). The tests are
// behind the e2e build tag; `make e2e` runs them (run.sh), building Jaeger
// once into a cache (jaeger.sh) and passing its path in SPANTREE_JAEGER:
//
//	SPANTREE_JAEGER=$(e2e/jaeger.sh) go test -tags e2e -count=1 ./e2e
package e2e
