#!/bin/sh
# run.sh is `make e2e`: it builds Jaeger v2 and Ory Hydra once (cached, see
# jaeger.sh and hydra.sh) and runs the end-to-end tests against them: those
# of this directory, and the web view's sign-in through Hydra in Chromium
# (web's TestSignInHydra).
set -eu
cd "$(dirname "$0")/.."
SPANTREE_JAEGER=$(./e2e/jaeger.sh)
SPANTREE_HYDRA=$(./e2e/hydra.sh)
export SPANTREE_JAEGER SPANTREE_HYDRA
"${GO:-go}" test -count=1 -v -run TestSignInHydra ./web
exec "${GO:-go}" test -tags e2e -count=1 -v ./e2e "$@"
