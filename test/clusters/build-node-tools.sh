#!/usr/bin/env bash
# Builds what the test clusters' nodes run besides Kubernetes itself, from the Go module proxy,
# once, into ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/node-tools/bin/:
# - coredns: upstream CoreDNS (coredns/go.mod pins the version) with only the plugins the
#   cluster DNS uses (coredns/main.go), the cluster's DNS server;
# - responder: the small static server and probe that test pods run (responder/main.go).
# Separate from build.sh because build.sh's stamp covers build.sh itself: a change here would
# otherwise rebuild the whole control plane in every clone on the machine.
# Prints the bin folder on stdout (the last line); progress goes to stderr.
# Does nothing when the binaries of these sources are already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"
dest="$cache_root/node-tools"
bin="$dest/bin"
binaries=(coredns responder)
stamp="$(cat "$here/coredns/go.mod" "$here/coredns/go.sum" "$here/coredns/main.go" \
  "$here/responder/go.mod" "$here/responder/main.go" "$here/build-node-tools.sh" | sha256sum | cut -c1-16)"

source "$here/build-lib.sh"

if build_found_or_lock "$dest/.build.lock" " (need Go >= $(awk '$1 == "go" { print $2; exit }' "$here/coredns/go.mod") on PATH), so CoreDNS and the test responder cannot be built."; then
  echo "$bin"
  exit 0
fi

build_stage
coredns_version="$(awk '$1 == "require" && $2 == "github.com/coredns/coredns" { print $3; exit } $1 == "github.com/coredns/coredns" { print $2; exit }' "$here/coredns/go.mod")"
echo "build-node-tools.sh: building CoreDNS $coredns_version and the responder into $bin (first time only: about 5 minutes on 2 cores under load, then cached)" >&2
if ! (cd "$here/coredns" && go mod download) >"$dest/.download.log" 2>&1; then
  echo "build-node-tools.sh: the Go module proxy ($(go env GOPROXY)) did not serve the modules of $here/coredns/go.mod: $(grep -m1 -E 'error|go: ' "$dest/.download.log" || tail -1 "$dest/.download.log")" >&2
  exit 1
fi
(cd "$here/coredns" && nice -n 10 go build -trimpath -ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=$coredns_version" -o "$staging/coredns" .) >&2
# Static: the responder runs inside a busybox image with no C library.
(cd "$here/responder" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags="-s -w" -o "$staging/responder" .) >&2
build_install
echo "$bin"
