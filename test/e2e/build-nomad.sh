#!/usr/bin/env bash
# Builds a Nomad v1.6.3 binary (agent + CLI) from the Go module proxy, once, and
# prints its absolute path on stdout. Later runs reuse the cached binary as long
# as the inputs (our go.mod, go.sum, main.go and the Go version) are unchanged.
#
#   test/e2e/build-nomad.sh            # prints e.g. /root/.cache/pot-task-driver/nomad-1.6.3
#   NOMAD_E2E_CACHE=/some/dir test/e2e/build-nomad.sh
#
# Licence guard: v1.6.3 is the last MPL release of github.com/hashicorp/nomad.
# The script refuses to build if go.mod or go.sum mention any other version.
set -euo pipefail

readonly NOMAD_VERSION=1.6.3
# Commit of the v1.6.3 tag; the separate api module is pinned to the same commit.
readonly NOMAD_COMMIT=e0497bff14378d68cad76a801cc0eba93ce05039
readonly API_VERSION=v0.0.0-20231030125810-e0497bff1437

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/nomad-agent
cache=${NOMAD_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pot-task-driver}
out=$cache/nomad-$NOMAD_VERSION
stamp=$out.inputs

# shellcheck source=../support/host.sh
source "$here/../support/host.sh"

say() { printf 'build-nomad: %s\n' "$*" >&2; }

check_licence() {
  local bad
  # Every line naming a github.com/hashicorp/nomad module must be v1.6.3 (or the
  # api module at the v1.6.3 commit). Anything else, e.g. v1.6.4+, is refused.
  bad=$(grep -hE 'github\.com/hashicorp/nomad(/[^ ]*)? v' "$src/go.mod" "$src/go.sum" |
    grep -vE "github\.com/hashicorp/nomad v$NOMAD_VERSION( |/go\.mod |$)" |
    grep -vE "github\.com/hashicorp/nomad/api $API_VERSION( |/go\.mod |$)" |
    grep -vE '^\s*//' || true)
  if [[ -n $bad ]]; then
    say "refusing to build: go.mod/go.sum name a Nomad module version other than v$NOMAD_VERSION:"
    printf '  %s\n' "$bad" >&2
    exit 1
  fi
}

inputs_key() {
  { cat "$src/go.mod" "$src/go.sum" "$src/main.go"; go version; } | sha256sum | cut -d' ' -f1
}

command -v go >/dev/null || { say "go is not installed"; exit 1; }
export GOTOOLCHAIN=local
export GOFLAGS="-mod=readonly -buildvcs=false"

check_licence
mkdir -p "$cache"
key=$(inputs_key)

# Serialise concurrent callers (two test runs at once build only once): the rest of this script runs again
# under the lock (flock(1) on Linux, lockf(1) on FreeBSD).
if [[ -z ${_BUILD_NOMAD_LOCKED:-} ]]; then
  _BUILD_NOMAD_LOCKED=1 host_locked "$out.lock" bash "${BASH_SOURCE[0]}" "$@"
  exit
fi

if [[ -x $out && -f $stamp && $(cat "$stamp") == "$key" ]]; then
  say "cached (inputs unchanged): $out"
  printf '%s\n' "$out"
  exit 0
fi

# CGO as in Nomad's own GNUmakefile for Linux builds (the exec driver's
# namespace helper needs it); fall back to a pure-Go build without a C compiler.
cgo=0
command -v "${CC:-cc}" >/dev/null 2>&1 && cgo=1

say "building nomad v$NOMAD_VERSION (CGO_ENABLED=$cgo); this takes several minutes on 2 cores"
start=$(date +%s)
(
  cd "$src"
  CGO_ENABLED=$cgo go build -trimpath \
    -ldflags "-X github.com/hashicorp/nomad/version.GitCommit=${NOMAD_COMMIT:0:12}" \
    -o "$out.tmp.$$" .
)
mv -f "$out.tmp.$$" "$out"
printf '%s\n' "$key" >"$stamp"
say "built in $(($(date +%s) - start))s: $out ($("$out" version | head -1))"
printf '%s\n' "$out"
