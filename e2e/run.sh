#!/bin/sh
# run.sh is `make e2e`: it builds Jaeger v2 once (cached, see jaeger.sh) and
# runs the end-to-end tests against it.
set -eu
cd "$(dirname "$0")/.."
SPANTREE_JAEGER=$(./e2e/jaeger.sh)
export SPANTREE_JAEGER
exec "${GO:-go}" test -tags e2e -count=1 -v ./e2e "$@"
