#!/usr/bin/env bash
# Builds the registry's real clients and judge from the Go module proxy, once, into
# ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/registry-tools/<stamp>/bin/:
#   crane       github.com/google/go-containerregistry/cmd/crane
#   oras        oras.land/oras/cmd/oras
#   conformance the OCI distribution-spec conformance suite (`go test -c` of its package)
# Each is built with its own module's go.mod (go install pkg@version, or a copy of the module),
# so no dependency of one bends another. The cache lives outside the clone because CI runs in
# a fresh clone on the same machine. Prints the bin folder on stdout (the last line); progress
# goes to stderr. Does nothing when the binaries of these versions are already there.
set -euo pipefail

crane_version="v0.22.1"
oras_version="v1.3.6"
# The conformance module has no tags; this pseudo-version was its newest on the proxy.
conformance_version="v0.0.0-20260831232431-97274622c111"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"
stamp="$(printf '%s\n' "$crane_version" "$oras_version" "$conformance_version" | sha256sum | cut -c1-16)"
dest="$cache_root/registry-tools/$stamp"
bin="$dest/bin"
binaries=(crane oras conformance.test)

have_all() {
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

link_stable() {
  # Tests and people find the tools at a fixed path; the versioned folder stays the truth.
  ln -sfn "$bin" "$cache_root/registry-tools/bin"
  local project_root
  project_root="$(cd "$here/../.." && pwd)"
  mkdir -p "$project_root/.cache"
  if [ ! -e "$project_root/.cache/registry-tools" ] || [ -L "$project_root/.cache/registry-tools" ]; then
    ln -sfn "$cache_root/registry-tools" "$project_root/.cache/registry-tools"
  fi
}

if have_all; then
  link_stable
  echo "$cache_root/registry-tools/bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-tools.sh: Go is not installed, so crane, oras and the OCI conformance suite cannot be built." >&2
  exit 1
fi

mkdir -p "$cache_root/registry-tools"
exec 9>"$cache_root/registry-tools/.build.lock"
flock 9
if have_all; then
  link_stable
  echo "$cache_root/registry-tools/bin"
  exit 0
fi

staging="$dest/.staging-$$"
rm -rf "$staging"
mkdir -p "$staging/bin"
trap 'rm -rf "$staging"' EXIT
log="$cache_root/registry-tools/.build.log"
start=$(date +%s)
echo "build-tools.sh: building crane, oras and the OCI conformance suite (first time only)" >&2

fail() {
  echo "build-tools.sh: $1: $(grep -m1 -E 'error|go: ' "$log" || tail -1 "$log")" >&2
  exit 1
}

GOBIN="$staging/bin" nice -n 10 go install -trimpath -ldflags="-s -w" \
  "github.com/google/go-containerregistry/cmd/crane@$crane_version" >"$log" 2>&1 \
  || fail "crane $crane_version did not build"
GOBIN="$staging/bin" nice -n 10 go install -trimpath -ldflags="-s -w" \
  "oras.land/oras/cmd/oras@$oras_version" >"$log" 2>&1 \
  || fail "oras $oras_version did not build"

# go test -c needs the package's module as the main module: build in a writable copy of it.
module_dir="$(go mod download -json "github.com/opencontainers/distribution-spec/conformance@$conformance_version" 2>"$log" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$module_dir" ] || fail "the conformance module $conformance_version was not served"
cp -r "$module_dir" "$staging/conformance-src"
chmod -R u+w "$staging/conformance-src"
(cd "$staging/conformance-src" && nice -n 10 go test -c -trimpath -o "$staging/bin/conformance.test" .) >"$log" 2>&1 \
  || fail "the conformance suite did not build"

rm -rf "$bin"
mkdir -p "$dest"
mv "$staging/bin" "$bin"
echo "build-tools.sh: built in $(( $(date +%s) - start ))s" >&2
link_stable
echo "$cache_root/registry-tools/bin"
