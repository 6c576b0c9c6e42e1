#!/bin/sh
# modbench.sh measures what instrumentation costs a real module's own
# benchmarks: `go test -bench` plain and under `spangen go test` (spans
# exported as JSON to /dev/null), alternating runs in one session, and prints
# the median ns/op and allocs/op of each benchmark, the ratio instrumented /
# plain, and the geometric mean and the largest of the ratios.
#
# usage: benchmarks/modbench.sh [module@version [bench regexp [count]]]
#   default: github.com/segmentio/ksuid@v1.0.4 . 5
# BENCHTIME (default 1s) is go test's -benchtime. SPANGEN names a spangen
# binary to use instead of building this checkout's; SPANGEN_B a second one,
# run in the same rounds (plain, A, B, plain, ...), for a before/after of the
# rewriter: its ratios and their geomean are printed as B's columns.
set -eu
MOD=${1:-github.com/segmentio/ksuid@v1.0.4}
BENCH=${2:-.}
COUNT=${3:-5}
BENCHTIME=${BENCHTIME:-1s}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
if [ -n "${SPANGEN:-}" ]; then
	cp "$SPANGEN" "$W/spangen"
else
	(cd "$ROOT" && go build -o "$W/spangen" ./cmd/spangen)
fi
B=${SPANGEN_B:-}
if [ -n "$B" ]; then
	cp "$B" "$W/spangen_b"
fi
DIR=$(cd "$ROOT" && go mod download -json "$MOD" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$DIR" "$W/mod" && chmod -R u+w "$W/mod"
cd "$W/mod"
export SPANGEN_CACHE="$W/cache"
go test -run '^$' -bench "$BENCH" -count 1 -benchtime 1x ./... >/dev/null # build and download once
"$W/spangen" go test -run '^$' -bench "$BENCH" -count 1 -benchtime 1x ./... >/dev/null
if [ -n "$B" ]; then
	SPANGEN_CACHE="$W/cache_b" "$W/spangen_b" go test -run '^$' -bench "$BENCH" -count 1 -benchtime 1x ./... >/dev/null
fi
# Each result line becomes: MODE NAME NS ALLOCS (allocs -1 when not reported).
extract() {
	awk -v mode="$1" '/^Benchmark/ {
		ns = ""; al = -1
		for (i = 2; i < NF; i++) {
			if ($(i+1) == "ns/op") ns = $i
			if ($(i+1) == "allocs/op") al = $i
		}
		if (ns != "") print mode, $1, ns, al
	}'
}
for i in $(seq "$COUNT"); do
	go test -run '^$' -bench "$BENCH" -benchmem -benchtime "$BENCHTIME" -count 1 ./... | extract plain >>"$W/results"
	SPANTREE_SINK=json:/dev/null "$W/spangen" go test -run '^$' -bench "$BENCH" -benchmem -benchtime "$BENCHTIME" -count 1 ./... |
		extract spangen >>"$W/results"
	if [ -n "$B" ]; then
		SPANGEN_CACHE="$W/cache_b" SPANTREE_SINK=json:/dev/null "$W/spangen_b" go test -run '^$' -bench "$BENCH" -benchmem -benchtime "$BENCHTIME" -count 1 ./... |
			extract spangen_b >>"$W/results"
	fi
done
echo "$MOD: median of $COUNT runs each (BENCHTIME $BENCHTIME)"
if [ -n "$B" ]; then
	printf '%-44s %12s %12s %8s %12s %8s %8s %8s %8s\n' benchmark plain spangen ratio spangen_b ratio_b allocs allocs allocs_b
else
	printf '%-44s %12s %12s %8s %8s %8s\n' benchmark plain spangen ratio allocs allocs
fi
sort -k2,2 -k1,1 -k3,3n "$W/results" | awk -v withb="$B" '
	# median of the values of key k
	function median(k,   n, i, j, t, a) {
		n = cnt[k]
		for (i = 1; i <= n; i++) a[i] = v[k, i]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return a[int((n + 1) / 2)]
	}
	{ v[$2, $1, "ns", ++cnt[$2, $1, "ns"]] = $3; v[$2, $1, "al", ++cnt[$2, $1, "al"]] = $4; names[$2] = 1 }
	END {
		for (b in names) {
			p = median(b SUBSEP "plain" SUBSEP "ns"); s = median(b SUBSEP "spangen" SUBSEP "ns")
			if (p > 0 && s > 0) {
				r = s / p
				lg += log(r); n++
				if (r > worst) { worst = r; wname = b }
				if (withb != "") {
					sb = median(b SUBSEP "spangen_b" SUBSEP "ns"); rb = sb / p
					lgb += log(rb)
					if (rb > worstb) { worstb = rb; wnameb = b }
					printf "%-44s %12.1f %12.1f %7.2fx %12.1f %7.2fx %8s %8s %8s\n", b, p, s, r, sb, rb, median(b SUBSEP "plain" SUBSEP "al"), median(b SUBSEP "spangen" SUBSEP "al"), median(b SUBSEP "spangen_b" SUBSEP "al") | "sort"
				} else {
					printf "%-44s %12.1f %12.1f %7.2fx %8s %8s\n", b, p, s, r, median(b SUBSEP "plain" SUBSEP "al"), median(b SUBSEP "spangen" SUBSEP "al") | "sort"
				}
			}
		}
		close("sort")
		if (n > 0) printf "geomean %.2fx over %d benchmarks; largest %.2fx (%s)\n", exp(lg / n), n, worst, wname
		if (n > 0 && withb != "") printf "B: geomean %.2fx; largest %.2fx (%s)\n", exp(lgb / n), worstb, wnameb
	}'
