#!/usr/bin/env bash
# Runs the conformance harness (both Go modules) and ends with one line "N passed, N failed, N skipped".
#   POT_DRIVER_BIN  plugin binary (default: dist/pot-task-driver-linux-x64, rebuilt with scripts/build.sh when
#                   missing or older than src/)
#   POT_SIM         pot simulator for the lifecycle tests (default: test/fakes/pot)
#   POT_IMAGE_URL   registry serving FBSD120-nginx 1.0 (default: make-image.ts's image, served on 127.0.0.1)
#   GO_TEST_FLAGS   extra flags for `go test` (e.g. "-run TestLoader")
# TMPDIR is a fresh directory for the run; a process still naming it after the tests fails the run
# (NoProcessOutlivesSuite) and is killed.
# Each lifecycle test gets its own simulator state dir (POT_SIM_ROOT). With the simulator present the
# lifecycle tests are required: anything missing makes them fail, not skip.
# Exits non-zero when any test, or the build of a test package, fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bun=$repo/node_modules/.bin/bun

work=$(mktemp -d)
# Everything the suite creates (plugin dirs, state dirs, simulator roots) lies under $work/tmp, so any process
# still naming it once the tests are over is one the suite started and failed to end.
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fail_early prints why nothing could run and the count line, then exits.
fail_early() {
  echo "conformance: $*" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}

if [ -z "${POT_DRIVER_BIN:-}" ]; then
  export POT_DRIVER_BIN=$repo/dist/pot-task-driver-linux-x64
  if [ ! -x "$POT_DRIVER_BIN" ] || [ -n "$(find "$repo/src" "$repo/package.json" -newer "$POT_DRIVER_BIN" -type f -print -quit)" ]; then
    echo "conformance: building the plugin (scripts/build.sh linux-x64)"
    (cd "$repo" && bash scripts/build.sh linux-x64) || fail_early "plugin build failed"
  fi
elif [ ! -x "$POT_DRIVER_BIN" ]; then
  fail_early "POT_DRIVER_BIN=$POT_DRIVER_BIN is not an executable"
fi

if [ -z "${POT_SIM:-}" ] && [ -x "$repo/test/fakes/pot" ]; then
  export POT_SIM=$repo/test/fakes/pot
fi

# The lifecycle tests need an image registry: build the test image and serve it on the loopback interface.
if [ -n "${POT_SIM:-}" ]; then
  export POT_LIFECYCLE_REQUIRED=1
  if [ -z "${POT_IMAGE_URL:-}" ]; then
    mkdir -p "$work/registry"
    if ! "$bun" "$here/make-image.ts" "$work/registry" >/dev/null; then
      echo "conformance: building the test image failed; the lifecycle tests will fail" >&2
    else
      "$bun" "$repo/test/e2e/fileserver.ts" "$work/registry" 0 >"$work/fileserver.out" 2>"$work/fileserver.log" &
      server_pid=$!
      for _ in $(seq 100); do
        url=$(sed -n 's/^listening \(http:[^ ]*\)$/\1/p' "$work/fileserver.out")
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
      done
      if [ -n "${url:-}" ]; then
        export POT_IMAGE_URL=$url
      else
        echo "conformance: the image file server did not start; the lifecycle tests will fail" >&2
        cat "$work/fileserver.log" >&2
      fi
    fi
  fi
fi

if ! (cd "$here/report" && go build -o "$work/report" .); then
  fail_early "building the report tool failed"
fi

# leftovers prints "<pid> <args>" of every process naming $work/tmp, except the image server.
leftovers() {
  ps -eo pid=,args= | while read -r pid args; do
    case $args in
    *"$work/tmp"*) [ "$pid" != "${server_pid:-}" ] && echo "$pid $args" ;;
    esac
  done
}

# suite_check reports, as one more test in the go test -json stream, whether any process the suite started
# outlived it (after a grace of 10 s for processes already on their way out); survivors are killed.
suite_check() {
  local name=NoProcessOutlivesSuite left
  echo "{\"Action\":\"run\",\"Package\":\"suite\",\"Test\":\"$name\"}"
  for _ in $(seq 100); do
    left=$(leftovers)
    [ -z "$left" ] && break
    sleep 0.1
  done
  if [ -z "$left" ]; then
    echo "{\"Action\":\"pass\",\"Package\":\"suite\",\"Test\":\"$name\",\"Elapsed\":0}"
    return
  fi
  while read -r pid args; do
    printf '{"Action":"output","Package":"suite","Test":"%s","Output":"still running after the suite: pid %s\\n"}\n' "$name" "$pid"
    kill -KILL "$pid" 2>/dev/null
  done <<<"$left"
  echo "{\"Action\":\"fail\",\"Package\":\"suite\",\"Test\":\"$name\",\"Elapsed\":0}"
  touch "$work/go-test-failed"
}

# Each module is tested separately (they pin different go-plugin versions); results stream into one report.
{
  for module in nomad goplugin; do
    # shellcheck disable=SC2086 # GO_TEST_FLAGS is a list of flags
    (cd "$here/$module" && go test -json -count=1 -timeout 10m ${GO_TEST_FLAGS:-} ./...) 2>&1 || touch "$work/go-test-failed"
  done
  suite_check
} | "$work/report"
rc=${PIPESTATUS[1]}
[ -e "$work/go-test-failed" ] && rc=1
exit "$rc"
