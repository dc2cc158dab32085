# The steps every script that builds test tools once into the machine's cache shares: is this
# build there already, one build at a time on the machine, and a staging folder swapped in whole
# so that a failed or killed build never leaves half a bin folder. Sourced by
# build-node-tools.sh and build-netpol.sh, never run.
# It is in no script's stamp on purpose: nothing here changes what a build produces, so editing
# it must not rebuild anything.
#
# The sourcing script sets, before calling these:
#   dest      the cache folder of this build (the stamp, the staging folder)
#   bin       the folder the binaries end up in
#   binaries  an array of the names that must be in $bin
#   stamp     what the binaries were built from (a hash): a build is there only with this stamp

build_name="$(basename "$0")"

# True when every binary is in $bin and $dest/stamp is $stamp.
build_have() {
  [ -f "$dest/stamp" ] && [ "$(cat "$dest/stamp")" = "$stamp" ] || return 1
  local b
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

# build_found_or_lock LOCK WITHOUT_GO: true when the build is there (now, or once another build
# of it on this machine has finished). Otherwise holds LOCK for the rest of the script and
# returns false: the caller builds. Exits 1 with "Go is not installed" and WITHOUT_GO (what
# cannot be built) when it must build and there is no Go on PATH.
build_found_or_lock() {
  build_have && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "$build_name: Go is not installed$2" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$1")"
  # A developer and CI building at once on the same machine would each take both cores for
  # minutes; the second waits for the first and then finds the binaries.
  exec 9>"$1"
  flock 9
  build_have
}

# Makes an empty $staging folder in $dest, removed when the script exits, and starts the clock.
build_stage() {
  staging="$dest/.staging-$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  trap 'rm -rf "$staging"' EXIT
  build_started=$(date +%s)
}

# Puts $staging in place of $bin, records $stamp, and says how long the build took.
build_install() {
  rm -rf "$bin"
  mv "$staging" "$bin"
  echo "$stamp" >"$dest/stamp"
  echo "$build_name: built in $(( $(date +%s) - build_started ))s" >&2
}
