#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, and the node
# side (kubelet, kube-proxy) from the Go module proxy, once, into ${BERTH_CACHE_DIR:-$HOME/.cache/berth}/kube/<version>/bin/.
# The cache lives outside the clone because CI runs in a fresh clone on the same machine.
# Prints the bin folder on stdout (the last line); all progress goes to stderr.
# Does nothing when the binaries of this go.mod/go.sum are already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BERTH_CACHE_DIR:-$HOME/.cache/berth}"
version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod")"
if [ -z "$version" ]; then
  echo "build.sh: $here/go.mod does not require k8s.io/kubernetes." >&2
  exit 1
fi
dest="$cache_root/kube/$version"
bin="$dest/bin"
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
# The stamp ties the binaries to the exact dependency graph, so editing go.mod rebuilds.
stamp="$(cat "$here/go.mod" "$here/go.sum" "$here/etcd/main.go" "$here/build.sh" | sha256sum | cut -c1-16)"

have_all() {
  [ -f "$dest/stamp" ] && [ "$(cat "$dest/stamp")" = "$stamp" ] || return 1
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

link_project_cache() {
  # People find the binaries at .cache/kube in the project too; the cache itself stays shared.
  local project_root
  project_root="$(cd "$here/../.." && pwd)"
  mkdir -p "$project_root/.cache"
  if [ ! -e "$project_root/.cache/kube" ] || [ -L "$project_root/.cache/kube" ]; then
    ln -sfn "$cache_root/kube" "$project_root/.cache/kube"
  fi
}

if have_all; then
  link_project_cache
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: Go is not installed (need Go >= $(awk '$1 == "go" { print $2; exit }' "$here/go.mod") on PATH) so the Kubernetes test control plane cannot be built." >&2
  exit 1
fi

mkdir -p "$cache_root/kube"
# Two builds at once (a developer and CI on the same machine) would each take both cores for
# many minutes; the second waits for the first and then finds the binaries.
exec 9>"$cache_root/kube/.build.lock"
flock 9
if have_all; then
  link_project_cache
  echo "$bin"
  exit 0
fi

cd "$here"
if ! go mod download >"$cache_root/kube/.download.log" 2>&1; then
  echo "build.sh: the Go module proxy ($(go env GOPROXY)) did not serve the modules of $here/go.mod: $(grep -m1 -E 'error|go: ' "$cache_root/kube/.download.log" || tail -1 "$cache_root/kube/.download.log")" >&2
  exit 1
fi

minor="${version#v1.}"
minor="${minor%%.*}"
# Upstream stamps the version the same way (hack/lib/version.sh); without it /version says v0.0.0.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

staging="$dest/.staging-$$"
rm -rf "$staging"
mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT
start=$(date +%s)
echo "build.sh: building Kubernetes $version and etcd into $bin (first time only: about 7 minutes on 2 cores, then cached)" >&2
nice -n 10 go build -trimpath -ldflags="$ldflags" -o "$staging/" \
  ./etcd \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-proxy >&2
rm -rf "$bin"
mv "$staging" "$bin"
echo "$stamp" >"$dest/stamp"
echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
link_project_cache
echo "$bin"
