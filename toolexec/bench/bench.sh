#!/bin/sh
# bench.sh measures the build time of a real module with plain go build,
# spangen go build and orchestrion go build, from a clean build cache (a
# fresh GOCACHE) and warm (the same build again: median of five), and reports binary sizes
# and what each tool adds to go.mod and go.sum.
#
# usage: toolexec/bench/bench.sh [module@version [package]]
#   default: github.com/segmentio/ksuid@v1.0.4 ./cmd/ksuid
# Needs the module proxy (orchestrion and dd-trace-go are downloaded once).
set -eu
MOD=${1:-github.com/segmentio/ksuid@v1.0.4}
PKG=${2:-./cmd/ksuid}
ORCH=github.com/DataDog/orchestrion@v1.15.0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT

echo "building spangen and orchestrion..."
(cd "$ROOT" && go build -o "$W/bin/spangen" ./cmd/spangen)
mkdir -p "$W/orch" && (cd "$W/orch" && go mod init bench.local/orch >/dev/null 2>&1 && GOBIN="$W/bin" go install "$ORCH")

SRC=$(cd "$ROOT" && go mod download -json "$MOD" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
for t in plain spangen orchestrion; do
	cp -r "$SRC" "$W/$t" && chmod -R u+w "$W/$t"
	cp "$W/$t/go.mod" "$W/$t.go.mod.orig"; touch "$W/$t/go.sum"; cp "$W/$t/go.sum" "$W/$t.go.sum.orig"
done
# orchestrion pin asks for dd-trace-go/orchestrion/all/v2, which the proxy does not serve:
# pin to the tracer package instead (the issue's instructions). Two modules of
# orchestrion's module graph (datadog-agent's AWS credential helpers) are refused
# by the proxy too (403); only their go.mod is needed to resolve the graph, and
# nothing of them is compiled, so each is replaced by an empty local module,
# found by retrying (STUBS counts the replace lines this adds to go.mod).
ORCH_OK=1 STUBS=0
cd "$W/orchestrion"
{ "$W/bin/orchestrion" pin >/dev/null 2>&1 || true; }
sed -i 's|"github.com/DataDog/dd-trace-go/orchestrion/all/v2"|"github.com/DataDog/dd-trace-go/v2/ddtrace/tracer"|' orchestrion.tool.go
while :; do
	if go get github.com/DataDog/orchestrion@v1.15.0 github.com/DataDog/dd-trace-go/v2/ddtrace/tracer >"$W/orch.log" 2>&1; then
		go mod tidy >>"$W/orch.log" 2>&1 || ORCH_OK=0
		break
	fi
	m=$(grep -o 'requires [^ ]*@v[^:]*: reading' "$W/orch.log" | head -1 | sed 's/requires //; s/: reading//')
	if [ -z "$m" ] || [ $STUBS -ge 10 ]; then ORCH_OK=0; break; fi
	STUBS=$((STUBS + 1))
	mkdir -p "$W/stubs/$STUBS" && printf 'module %s\n' "${m%@*}" >"$W/stubs/$STUBS/go.mod"
	go mod edit -replace "$m=$W/stubs/$STUBS"
done
cd - >/dev/null
[ $ORCH_OK = 1 ] || { echo "orchestrion: cannot be pinned here:"; tail -3 "$W/orch.log"; }
ms() { date +%s%N | cut -c1-13; }
build() { # tool gocache
	case $1 in
	plain) (cd "$W/plain" && GOCACHE=$2 go build -o "$W/out.plain" "$PKG") ;;
	spangen) (cd "$W/spangen" && GOCACHE=$2 SPANGEN_CACHE=$2/spangen "$W/bin/spangen" go build -o "$W/out.spangen" "$PKG") ;;
	orchestrion) (cd "$W/orchestrion" && GOCACHE=$2 "$W/bin/orchestrion" go build -o "$W/out.orchestrion" "$PKG") ;;
	esac
}
printf '%-12s %10s %10s %12s\n' tool clean_ms warm_ms binary_bytes
TOOLS="plain spangen"; [ $ORCH_OK = 1 ] && TOOLS="$TOOLS orchestrion"
for t in $TOOLS; do
	C=$(mktemp -d -p "$W")
	a=$(ms); build $t "$C" >/dev/null 2>&1; b=$(ms)
	# warm: the median of five rebuilds (one is at the mercy of a noisy machine)
	warm=$(for i in 1 2 3 4 5; do x=$(ms); build $t "$C" >/dev/null 2>&1; echo $(($(ms) - x)); done | sort -n | sed -n 3p)
	printf '%-12s %10d %10d %12d\n' $t $((b - a)) "$warm" "$(stat -c %s "$W/out.$t")"
	chmod -R u+w "$C"; rm -rf "$C"
done
for t in spangen orchestrion; do
	echo "--- $t: go.mod / go.sum changes"
	diff "$W/$t.go.mod.orig" "$W/$t/go.mod" >/dev/null && echo "go.mod: unchanged" ||
		echo "go.mod: $(diff "$W/$t.go.mod.orig" "$W/$t/go.mod" | grep '^>' | grep -vc "=> $W/stubs/") lines added (not counting the bench's own replace lines)"
	diff "$W/$t.go.sum.orig" "$W/$t/go.sum" >/dev/null && echo "go.sum: unchanged" || echo "go.sum: $(diff "$W/$t.go.sum.orig" "$W/$t/go.sum" | grep -c '^>') lines added"
	ls "$W/$t" | grep -q orchestrion.tool.go && echo "new file: orchestrion.tool.go" || true
done
