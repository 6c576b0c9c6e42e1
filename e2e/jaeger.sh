#!/bin/sh
# jaeger.sh builds the Jaeger v2 all-in-one binary once and prints its path.
#
# Jaeger is installed the way the issue asks: `go get -tool` in a scratch
# module, with the replace directives of Jaeger's own go.mod copied into it
# (a tool dependency does not inherit them), then built into a cache
# directory that later runs reuse:
#
#   ${SPANTREE_CACHE:-$HOME/.cache/spantree}/jaeger-$JAEGER_VERSION
#
# Building takes several minutes on two cores the first time.
set -eu

JAEGER_VERSION=${JAEGER_VERSION:-v1.76.0} # the Go module version; its cmd/jaeger is Jaeger v2
GO=${GO:-go}
cache=${SPANTREE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spantree}
bin=$cache/jaeger-$JAEGER_VERSION

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/spantree-jaeger.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export GOFLAGS=-mod=mod
"$GO" mod init spantree.local/jaeger-tool >&2

# Copy Jaeger's replace directives (single-line and block form).
gomod=$("$GO" mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
	echo "jaeger.sh: cannot find the go.mod of github.com/jaegertracing/jaeger@$JAEGER_VERSION" >&2
	exit 1
fi
awk '
	/^replace[[:space:]]*\($/ { block = 1; next }
	block && /^\)/ { block = 0; next }
	block { print; next }
	/^replace[[:space:]]/ { sub(/^replace[[:space:]]+/, ""); print }
' "$gomod" | while read -r old arrow new newv; do
	[ "$arrow" = "=>" ] || continue
	if [ -n "${newv:-}" ]; then
		"$GO" mod edit -replace "$old=$new@$newv"
	else
		"$GO" mod edit -replace "$old=$new"
	fi
done

echo "jaeger.sh: building Jaeger $JAEGER_VERSION into $bin (takes minutes the first time)" >&2
"$GO" get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" >&2
"$GO" build -trimpath -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger >&2
mv "$bin.tmp" "$bin"
echo "$bin"
