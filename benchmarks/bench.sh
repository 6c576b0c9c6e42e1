#!/bin/sh
# bench.sh runs every benchmark of this module in one process, then prints a
# table of each with its ratio to the OpenTelemetry SDK's span
# (BenchmarkOTelSDKBlocking/Start: every span exported) and to one slog JSON line (BenchmarkSlog/JSON),
# both in wall time per op (ns/op) and in CPU time of the whole process per
# op (cpu-ns/op, which counts work done off the caller's goroutine).
# Extra arguments go to go test, e.g. ./bench.sh -benchtime=200ms -count=3;
# with -count above 1 the table shows the median of the runs.
set -eu
cd "$(dirname "$0")"
# A queue deep enough that no trace is dropped while a benchmark outruns the
# exporter: every span is exported, as the SDK's blocking processor exports
# every span, and spans/op stays 1 (the default queue, 1024 traces, drops
# and would flatter the per-span figures).
export SPANTREE_QUEUE="${SPANTREE_QUEUE:-1048576}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench . -benchmem -count=1 "$@" ./... | tee "$out"
awk '
# value returns the number before unit on the current line, or "".
function value(unit,   i) {
	for (i = 3; i < NF; i++) if ($(i+1) == unit) return $i
	return ""
}
function add(key, v) { if (v != "") vals[key, ++cnt[key]] = v + 0 }
function median(key,   i, j, t, n, a) {
	n = cnt[key]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] = vals[key, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
# The runtime may warn on stderr (a full queue) between a benchmark name and
# its result: join the two halves again.
function ratio(a, b) { return a != "" && b ? sprintf("%.3f", a / b) : "-" }
/^Benchmark/ && !/ns\/op/ { pending = $1; next }
/^[ \t]*[0-9]+[ \t].*ns\/op/ && pending != "" { $0 = pending " " $0 }
/^Benchmark/ {
	pending = ""
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[n++] = name }
	add(name SUBSEP "ns", value("ns/op")); add(name SUBSEP "B", value("B/op")); add(name SUBSEP "allocs", value("allocs/op"))
	add(name SUBSEP "cpu", value("cpu-ns/op")); add(name SUBSEP "spans", value("spans/op"))
	add(name SUBSEP "span", value("ns/span")); add(name SUBSEP "call", value("ns/call"))
	add(name SUBSEP "heap", value("peak-HeapInuse-MB")); add(name SUBSEP "sys", value("peak-Sys-MB"))
	add(name SUBSEP "dropped", value("spans-dropped/op"))
}
END {
	sdk = median("BenchmarkOTelSDKBlocking/Start" SUBSEP "ns"); slog = median("BenchmarkSlog/JSON" SUBSEP "ns")
	sdkc = median("BenchmarkOTelSDKBlocking/Start" SUBSEP "cpu"); slogc = median("BenchmarkSlog/JSON" SUBSEP "cpu")
	printf "\n%-30s %9s %9s %6s %6s %7s %7s %7s %7s %7s\n", "benchmark (median)", "ns/op", "cpu-ns/op", "B/op",
		"allocs", "spans", "/SDK", "/slog", "/SDKcpu", "/slogcpu"
	for (i = 0; i < n; i++) {
		b = order[i]
		ns = median(b SUBSEP "ns")
		if (ns == "" || cnt[b SUBSEP "heap"]) continue
		cpu = median(b SUBSEP "cpu")
		# A chain of spans per op (ns/span reported) is compared per span.
		k = cnt[b SUBSEP "span"] ? ns / median(b SUBSEP "span") : 1
		name = b; sub(/^Benchmark/, "", name)
		printf "%-30s %9.1f %9s %6s %6s %7s %7s %7s %7s %7s\n", name, ns, cpu == "" ? "-" : sprintf("%.1f", cpu),
			median(b SUBSEP "B"), median(b SUBSEP "allocs"), cnt[b SUBSEP "spans"] ? median(b SUBSEP "spans") : "-",
			ratio(ns / k, sdk), ratio(ns / k, slog), cpu == "" ? "-" : ratio(cpu / k, sdkc), cpu == "" ? "-" : ratio(cpu / k, slogc)
	}
	for (i = 0; i < n; i++) if (cnt[order[i] SUBSEP "heap"]) mem = 1
	if (!mem) exit
	printf "\n%-34s %10s %18s %14s %16s\n", "memory (median)", "ns/call", "peak HeapInuse MB", "peak Sys MB", "spans dropped"
	for (i = 0; i < n; i++) {
		b = order[i]
		if (!cnt[b SUBSEP "heap"]) continue
		name = b; sub(/^Benchmark/, "", name)
		printf "%-34s %10.1f %18.1f %14.1f %16d\n", name, median(b SUBSEP "call"), median(b SUBSEP "heap"),
			median(b SUBSEP "sys"), median(b SUBSEP "dropped")
	}
}' "$out"
