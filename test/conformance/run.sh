#!/usr/bin/env bash
# Runs the conformance harness (both Go modules) and ends with one line "N passed, N failed, N skipped".
#   POT_DRIVER_BIN  plugin binary (default: dist/pot-task-driver-linux-x64, built with `bun run build` if absent)
#   POT_SIM         pot simulator for the lifecycle tests (default: test/fakes/pot when it exists)
#   GO_TEST_FLAGS   extra flags for `go test` (e.g. "-run TestLoader")
# Exits non-zero when any test, or the build of a test package, fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

export POT_DRIVER_BIN=${POT_DRIVER_BIN:-$repo/dist/pot-task-driver-linux-x64}
if [ ! -x "$POT_DRIVER_BIN" ]; then
  if [ ! -f "$repo/scripts/build.sh" ]; then
    echo "conformance: $POT_DRIVER_BIN is missing and scripts/build.sh does not exist yet; cannot build the plugin" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "conformance: building the plugin (bun run build linux-x64)"
  if ! (cd "$repo" && node_modules/.bin/bun run build linux-x64); then
    echo "conformance: plugin build failed" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
if [ -z "${POT_SIM:-}" ] && [ -x "$repo/test/fakes/pot" ]; then
  export POT_SIM=$repo/test/fakes/pot
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$here/report" && go build -o "$work/report" .); then
  echo "conformance: building the report tool failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# Each module is tested separately (they pin different go-plugin versions); results stream into one report.
{
  for module in nomad goplugin; do
    # shellcheck disable=SC2086 # GO_TEST_FLAGS is a list of flags
    (cd "$here/$module" && go test -json -count=1 -timeout 10m ${GO_TEST_FLAGS:-} ./...) 2>&1 || touch "$work/go-test-failed"
  done
} | "$work/report"
rc=${PIPESTATUS[1]}
[ -e "$work/go-test-failed" ] && rc=1
exit "$rc"
