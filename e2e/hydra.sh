#!/bin/sh
# hydra.sh builds Ory Hydra (the OpenID provider of the sign-in test,
# e2e/oidc_test.go) once and prints its path.
#
# Hydra is installed the way jaeger.sh installs Jaeger: `go get -tool` in a
# scratch module, never in spantree's go.mod, with the replace directives of
# Hydra's go.mod that point at other modules copied into it (a tool
# dependency does not inherit them; the one to ./internal/httpclient is left
# out, that directory is not in the module's zip and hydra-client-go comes
# from the proxy instead). It is built with the sqlite tag, for the
# in-memory DSN the test runs it on, into a cache directory later runs reuse:
#
#   ${SPANTREE_CACHE:-$HOME/.cache/spantree}/hydra-$HYDRA_VERSION
set -eu

HYDRA_VERSION=${HYDRA_VERSION:-v2.3.0}
GO=${GO:-go}
cache=${SPANTREE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spantree}
bin=$cache/hydra-$HYDRA_VERSION

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/spantree-hydra.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export GOFLAGS=-mod=mod
"$GO" mod init spantree.local/hydra-tool >&2

gomod=$("$GO" mod download -json "github.com/ory/hydra/v2@$HYDRA_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
	echo "hydra.sh: cannot find the go.mod of github.com/ory/hydra/v2@$HYDRA_VERSION" >&2
	exit 1
fi
sed -n 's/^replace[[:space:]]\{1,\}//p' "$gomod" | while read -r old arrow new newv; do
	[ "$arrow" = "=>" ] && [ -n "${newv:-}" ] || continue
	"$GO" mod edit -replace "$old=$new@$newv"
done

echo "hydra.sh: building Hydra $HYDRA_VERSION into $bin (takes minutes the first time)" >&2
"$GO" get -tool "github.com/ory/hydra/v2@$HYDRA_VERSION" >&2
CGO_ENABLED=1 "$GO" build -trimpath -tags sqlite,sqlite_omit_load_extension -o "$bin.tmp" github.com/ory/hydra/v2 >&2
mv "$bin.tmp" "$bin"
echo "$bin"
