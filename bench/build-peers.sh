#!/bin/sh
# Builds the registry peer that bench/registry.ts measures Berth against, CNCF Distribution
# v3.1.2, from the Go module proxy, once: later runs find the binary in the cache and only print
# its path. Benchmarks do not run in CI, so this is not part of .ci/setup; nothing it fetches is
# committed. Prints the binary's path on stdout (progress goes to stderr).
set -eu

version=v3.1.2
cache="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/bench-peers"
bin="$cache/distribution-$version/registry"

if [ ! -x "$bin" ]; then
  go=go
  # The Go toolchain is installed outside PATH on some machines.
  command -v go >/dev/null 2>&1 || go=/usr/local/go/bin/go
  mkdir -p "$cache/distribution-$version"
  echo "building CNCF Distribution $version from the Go module proxy into $cache" >&2
  # A module cache of our own keeps the build from touching (or depending on) the user's GOPATH.
  GOMODCACHE="$cache/gomodcache" GOPATH="$cache/gopath" GOFLAGS=-modcacherw \
    GOBIN="$cache/distribution-$version" \
    "$go" install "github.com/distribution/distribution/v3/cmd/registry@$version" >&2
fi
echo "$bin"
