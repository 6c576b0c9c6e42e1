#!/bin/sh
# modbench.sh measures what instrumentation costs a real module's own
# benchmarks: `go test -bench` plain and under `spangen go test` (spans
# exported as JSON to /dev/null), alternating runs in one session, and prints
# the median ns/op of each benchmark and the ratio instrumented / plain.
#
# usage: benchmarks/modbench.sh [module@version [bench regexp [count]]]
#   default: github.com/segmentio/ksuid@v1.0.4 . 5
set -eu
MOD=${1:-github.com/segmentio/ksuid@v1.0.4}
BENCH=${2:-.}
COUNT=${3:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
(cd "$ROOT" && go build -o "$W/spangen" ./cmd/spangen)
DIR=$(cd "$ROOT" && go mod download -json "$MOD" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$DIR" "$W/mod" && chmod -R u+w "$W/mod"
cd "$W/mod"
export SPANGEN_CACHE="$W/cache"
go test -run '^$' -bench "$BENCH" -count 1 -benchtime 1x ./... >/dev/null # build and download once
"$W/spangen" go test -run '^$' -bench "$BENCH" -count 1 -benchtime 1x ./... >/dev/null
for i in $(seq "$COUNT"); do
	go test -run '^$' -bench "$BENCH" -count 1 ./... | sed -n 's/^\(Benchmark[^ 	]*\)[ 	].* \([0-9.]*\) ns\/op.*/plain \1 \2/p' >>"$W/results"
	SPANTREE_SINK=json:/dev/null "$W/spangen" go test -run '^$' -bench "$BENCH" -count 1 ./... |
		sed -n 's/^\(Benchmark[^ 	]*\)[ 	].* \([0-9.]*\) ns\/op.*/spangen \1 \2/p' >>"$W/results"
done
echo "$MOD: median ns/op of $COUNT runs each"
printf '%-40s %12s %12s %8s\n' benchmark plain spangen ratio
sort -k2,2 -k1,1 -k3,3n "$W/results" | awk -v c="$COUNT" '
	{ v[$2, $1, ++n[$2, $1]] = $3; names[$2] = 1 }
	END {
		for (b in names) {
			p = v[b, "plain", int((n[b, "plain"] + 1) / 2)]
			s = v[b, "spangen", int((n[b, "spangen"] + 1) / 2)]
			if (p > 0 && s > 0) printf "%-40s %12.1f %12.1f %7.2fx\n", b, p, s, s / p
		}
	}' | sort
