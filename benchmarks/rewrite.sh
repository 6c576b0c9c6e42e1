#!/bin/sh
# rewrite.sh times spangen on a copy of golang.org/x/tools against gofmt -l
# over the same files (the floor: parse and print) and go vet ./... (what a
# type check of every package costs), in the same run:
#
#   cold:  spangen -l, -d and -w ./... on a copy never rewritten (an empty
#          spangen cache; spangen type-checks nothing, so a module never
#          built is no slower);
#   warm:  spangen -l ./... again on the copy that spangen -w wrote, with
#          the cache that run left, and without it (every file parsed,
#          stripped and rewritten again).
#
# Each figure is the median of RUNS (default 5) runs, the commands taking
# turns within a round so that a noisy machine slows them alike; the ratios
# are of the medians. go vet is run once to warm up, then timed like the
# others (its results are cached by the go command, as a second go vet of an
# unchanged module is).
set -eu
cd "$(dirname "$0")/.."
VERSION=${XTOOLS_VERSION:-v0.52.0}
RUNS=${RUNS:-5}
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
go build -o "$W/spangen" ./cmd/spangen
ROOT=$(pwd)
DIR=$(cd "$W" && go mod download -json "golang.org/x/tools@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$DIR" "$W/tools" && chmod -R u+w "$W/tools"
cp -R "$W/tools" "$W/written"
cd "$W/tools"
# The files spangen rewrites: those of the module's packages, tests and
# other build configurations included.
go list -e -f '{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{$d}}/{{.}}
{{end}}{{range .IgnoredGoFiles}}{{$d}}/{{.}}
{{end}}{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}' ./... | sort -u | sed '/^$/d' >"$W/files"
files=$(wc -l <"$W/files")

# t DIR CACHE CMD...: prints the wall time of CMD run in DIR with
# SPANGEN_CACHE=CACHE (a new empty one when CACHE is "new").
t() {
	dir=$1 cache=$2
	shift 2
	if [ "$cache" = new ]; then
		cache=$(mktemp -d "$W/cache.XXXXXX")
	fi
	s=$(date +%s.%N)
	(cd "$dir" && SPANGEN_CACHE=$cache "$@" >/dev/null 2>&1) || true
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
gofmtl() { xargs gofmt -l <"$W/files"; }
# The written copy: instrumented once, its cache kept for the warm runs.
(cd "$W/written" && SPANGEN_CACHE="$W/warmcache" "$W/spangen" -w -replace "$ROOT" ./... >/dev/null)
go vet ./... >/dev/null 2>&1 || true
for i in $(seq "$RUNS"); do
	t . "" gofmtl >>"$W/gofmt"
	t . new "$W/spangen" -l ./... >>"$W/cold-l"
	t . new "$W/spangen" -d ./... >>"$W/cold-d"
	rm -rf "$W/w" && cp -R "$W/tools" "$W/w"
	t "$W/w" new "$W/spangen" -w -replace "$ROOT" ./... >>"$W/cold-w"
	t "$W/written" "$W/warmcache" "$W/spangen" -l ./... >>"$W/warm"
	t "$W/written" new "$W/spangen" -l ./... >>"$W/warm-nocache"
	t . "" go vet ./... >>"$W/vet"
done
med() { sort -n "$W/$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
g=$(med gofmt)
echo "x/tools $VERSION: $files files, medians of $RUNS runs"
row() { awk -v n="$1" -v s="$2" -v g="$g" 'BEGIN { printf "%-34s %7.3fs %6.2fx gofmt\n", n, s, s / g }'; }
row "gofmt -l (same files)" "$g"
row "spangen -l, cold" "$(med cold-l)"
row "spangen -d, cold" "$(med cold-d)"
row "spangen -w, cold" "$(med cold-w)"
row "spangen -l, warm (after -w)" "$(med warm)"
row "spangen -l, warm, no cache" "$(med warm-nocache)"
row "go vet ./... (cached results)" "$(med vet)"
