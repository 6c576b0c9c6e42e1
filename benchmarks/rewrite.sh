#!/bin/sh
# rewrite.sh times spangen -l ./... against gofmt -l (the floor: parse and
# print) on a copy of golang.org/x/tools, in the same run. The first spangen
# run also type-checks (go list -export), so it is run twice and the second,
# warm-cache runs are the ones compared (medians of five).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VERSION=${XTOOLS_VERSION:-v0.52.0}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
go build -o "$W/spangen" ./cmd/spangen
DIR=$(cd "$W" && go mod download -json "golang.org/x/tools@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$DIR" "$W/tools" && chmod -R u+w "$W/tools"
cd "$W/tools"
files=$(find . -name '*.go' -not -path '*/testdata/*' | wc -l)
t() { s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'; }
"$W/spangen" -l ./... >/dev/null 2>&1 || true
# Five alternating runs of each; the medians are compared (one run of
# either is at the mercy of a noisy machine).
med() { sort -n | sed -n 3p; }
: >"$W/g"
: >"$W/s"
for i in 1 2 3 4 5; do
	t gofmt -l . >>"$W/g"; echo >>"$W/g"
	t "$W/spangen" -l ./... >>"$W/s"; echo >>"$W/s"
done
g=$(med <"$W/g")
s=$(med <"$W/s")
echo "x/tools $VERSION: $files files"
echo "gofmt -l:      ${g}s"
awk -v f="$files" -v s="$s" -v g="$g" 'BEGIN { printf "spangen -l:    %ss (%.0f files/s)\nratio:         %.2fx gofmt\n", s, f / s, s / g }'
