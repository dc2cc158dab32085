#!/usr/bin/env bash
# Builds the test nodes' NetworkPolicy enforcer, kube-router (only its network-policy controller
# runs), from the Go module proxy, once, into ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/kube-router/<version>/bin/.
# A script of its own rather than a step of build.sh: build.sh's stamp covers build.sh itself,
# so adding kube-router there would rebuild the whole control plane (about 7 minutes).
# Prints the bin folder on stdout (the last line); all progress goes to stderr.
# Does nothing when the binary of this version and script is already there.
set -euo pipefail

# The only version the module proxy serves (see test/clusters/README.md, "NetworkPolicy enforcement").
version=v2.1.0
module=github.com/cloudnativelabs/kube-router/v2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"
dest="$cache_root/kube-router/$version"
bin="$dest/bin"
binaries=(kube-router)
stamp="$(cat "$here/build-netpol.sh" | sha256sum | cut -c1-16)"
source "$here/build-lib.sh"

if build_found_or_lock "$dest/.build.lock" ", so kube-router $version (the test nodes' NetworkPolicy enforcer) cannot be built."; then
  echo "$bin"
  exit 0
fi

build_stage
echo "build-netpol.sh: building kube-router $version into $bin (first time only: about 2 minutes on 2 cores, then cached)" >&2
# `go install module@version` builds with kube-router's own go.mod and go.sum, as released.
if ! GOBIN="$staging" GOFLAGS=-trimpath nice -n 10 go install -ldflags="-s -w -X $module/pkg/version.Version=$version" "$module/cmd/kube-router@$version" >"$dest/.build.log" 2>&1; then
  echo "build-netpol.sh: go install $module/cmd/kube-router@$version failed: $(grep -m1 -E 'error|go: ' "$dest/.build.log" || tail -1 "$dest/.build.log")" >&2
  exit 1
fi
build_install
echo "$bin"
