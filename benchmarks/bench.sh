#!/bin/sh
# bench.sh runs every benchmark of this module in one process, then prints
# each spantree benchmark with its ratio to the OpenTelemetry SDK's span
# (BenchmarkOTelSDK/Start) and to one slog JSON line (BenchmarkSlog/JSON).
# Extra arguments go to go test, e.g. ./bench.sh -benchtime=200ms -count=3;
# with -count above 1 the table shows the median of the runs.
set -eu
cd "$(dirname "$0")"
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
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in seen)) { seen[name] = 1; order[n++] = name }
	add(name SUBSEP "ns", value("ns/op")); add(name SUBSEP "B", value("B/op")); add(name SUBSEP "allocs", value("allocs/op"))
}
END {
	sdk = median("BenchmarkOTelSDK/Start" SUBSEP "ns"); slog = median("BenchmarkSlog/JSON" SUBSEP "ns")
	printf "\n%-34s %12s %10s %10s %10s %10s\n", "benchmark (median)", "ns/op", "B/op", "allocs/op", "/OTel SDK", "/slog"
	for (i = 0; i < n; i++) {
		b = order[i]
		ns = median(b SUBSEP "ns")
		if (ns == "") continue
		printf "%-34s %12.1f %10s %10s %10s %10s\n", b, ns, median(b SUBSEP "B"), median(b SUBSEP "allocs"),
			sdk ? sprintf("%.3f", ns / sdk) : "-", slog ? sprintf("%.3f", ns / slog) : "-"
	}
}' "$out"
