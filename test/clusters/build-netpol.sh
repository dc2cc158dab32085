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
stamp="$(cat "$here/build-netpol.sh" | sha256sum | cut -c1-16)"

have_it() {
  [ -f "$dest/stamp" ] && [ "$(cat "$dest/stamp")" = "$stamp" ] && [ -x "$bin/kube-router" ]
}

if have_it; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-netpol.sh: Go is not installed, so kube-router $version (the test nodes' NetworkPolicy enforcer) cannot be built." >&2
  exit 1
fi

mkdir -p "$dest"
# A developer and CI building at once would each take both cores; the second waits and finds the binary.
exec 9>"$dest/.build.lock"
flock 9
if have_it; then
  echo "$bin"
  exit 0
fi

staging="$dest/.staging-$$"
rm -rf "$staging"
mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT
start=$(date +%s)
echo "build-netpol.sh: building kube-router $version into $bin (first time only: about 2 minutes on 2 cores, then cached)" >&2
# `go install module@version` builds with kube-router's own go.mod and go.sum, as released.
if ! GOBIN="$staging" GOFLAGS=-trimpath nice -n 10 go install -ldflags="-s -w -X $module/pkg/version.Version=$version" "$module/cmd/kube-router@$version" >"$dest/.build.log" 2>&1; then
  echo "build-netpol.sh: go install $module/cmd/kube-router@$version failed: $(grep -m1 -E 'error|go: ' "$dest/.build.log" || tail -1 "$dest/.build.log")" >&2
  exit 1
fi
rm -rf "$bin"
mv "$staging" "$bin"
echo "$stamp" >"$dest/stamp"
echo "build-netpol.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
