#!/usr/bin/env bash
# The project's test command: type-check, lint, format, layer rule, generated code, build, every test suite; ends
# with one line "N passed, N failed" summed over all suites (bun, Go), and exits non-zero on any failure.
# Everything runs with TMPDIR at a fresh /tmp/ptd-XXXXXX; anything left in it at the end is one more failure
# (paths printed), processes of the run still alive are printed; the directory is removed on exit (kept with
# POT_E2E_KEEP=1, as the e2e work dir in it is).
#   scripts/test.sh            everything
#   SKIP_E2E=1 scripts/test.sh without the real-Nomad end-to-end suite
#   POT_PATH=/usr/local/bin/pot scripts/test.sh   (FreeBSD, as root) the suites that can use real pot use it:
#                              the real-pot contract, lifecycle, faults (all but its simulator knobs), load and e2e,
#                              with an image made from an installed base by scripts/make-pot-image.sh; the
#                              simulator-only suites are skipped. On FreeBSD POT_PATH defaults to
#                              /usr/local/bin/pot when that exists. See docs/freebsd.md.
set -uo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
passed=0
failed=0
status=0
logdir=$(mktemp -d)
# shellcheck source=../test/support/host.sh
source test/support/host.sh
# shellcheck source=test-leftovers.sh
source scripts/test-leftovers.sh

# Every step runs with TMPDIR at a fresh private directory, so whatever a test leaves in it shows at the end
# (scripts/test-leftovers.sh). Short on purpose: the plugin's unix socket (TMPDIR/plugin<12 hex>) must stay
# within the 103-byte sun_path limit, or the plugin falls back to loopback TCP.
outer_tmpdir=${TMPDIR:-}
run_tmp=$(mktemp -d /tmp/ptd-XXXXXX)
export TMPDIR=$run_tmp
cleanup() {
  rm -rf "$logdir"
  [[ -n $run_tmp && -d $run_tmp ]] || return 0
  # POT_E2E_KEEP=1 keeps the e2e work dir (agent.log, data/), which lies in here.
  if [[ ${POT_E2E_KEEP:-0} == 1 ]]; then echo "kept the run's temp dir $run_tmp (POT_E2E_KEEP=1)"; else host_rm_tree "$run_tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Adds a suite's counts from its last "N passed, N failed" line; a suite that fails without one counts as 1 failure.
tally() {
  local name=$1 rc=$2 out=$3
  local line
  line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  if [ -n "$line" ]; then
    local p f
    p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
    f=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line")
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); fi
  elif [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$rc" -eq 0 ] || status=1
  echo "== $name: exit $rc${line:+, $line}"
}

echo "== typecheck"
if node_modules/.bin/tsc --noEmit -p . >"$logdir/tsc.out" 2>&1; then
  passed=$((passed + 1)); echo "typecheck ok"
else
  cat "$logdir/tsc.out"; failed=$((failed + 1)); status=1
fi

echo "== lint"
if node_modules/.bin/biome lint --error-on-warnings >"$logdir/lint.out" 2>&1; then
  passed=$((passed + 1)); echo "lint ok"
else
  cat "$logdir/lint.out"; failed=$((failed + 1)); status=1
fi

echo "== format"
if node_modules/.bin/biome format >"$logdir/format.out" 2>&1; then
  passed=$((passed + 1)); echo "format ok"
else
  cat "$logdir/format.out"; failed=$((failed + 1)); status=1
fi

echo "== layer imports"
if "$BUN" scripts/check-layers.ts >"$logdir/layers.out" 2>&1; then
  passed=$((passed + 1)); echo "layer rule ok"
else
  cat "$logdir/layers.out"; failed=$((failed + 1)); status=1
fi

echo "== generated code"
if bash scripts/check-gen.sh >"$logdir/gen.out" 2>&1; then
  passed=$((passed + 1)); echo "generated code ok"
else
  cat "$logdir/gen.out"; failed=$((failed + 1)); status=1
fi

echo "== build"
if ! bash scripts/build.sh >"$logdir/build.out" 2>&1; then
  cat "$logdir/build.out"; echo "build failed"; failed=$((failed + 1)); status=1
else
  cat "$logdir/build.out"
fi

# shellcheck source=test-plan.sh
source scripts/test-plan.sh
default_pot_path
simulator_only=$(simulator_only_reason)
suite_image_pot=""
if [[ -n ${POT_PATH:-} ]]; then
  echo "== real-pot image for the suites"
  pots_before=$("$POT_PATH" ls -q 2>/dev/null)
  if env -u POT_PATH "$BUN" test/support/write-suite-image-tree.ts "$logdir/image-files" &&
    scripts/make-pot-image.sh -P "$POT_PATH" -p FBSD120-nginx -t suite-1 -f "$logdir/image-files" "$logdir/images" >"$logdir/image.env"; then
    while IFS= read -r line; do
      case $line in POT_TEST_IMAGE_*=*) export "${line?}" ;; esac
    done <"$logdir/image.env"
    grep -qx FBSD120-nginx_suite-1 <<<"$pots_before" || suite_image_pot=FBSD120-nginx_suite-1
    echo "image $POT_TEST_IMAGE_NAME $POT_TEST_IMAGE_TAG at $POT_TEST_IMAGE_URL"
  else
    echo "could not make the real-pot image"; failed=$((failed + 1)); status=1
  fi
fi

echo "== bun test"
bun_args=()
if [[ -n $simulator_only ]]; then
  for suite in "${SIMULATOR_ONLY_SUITES[@]}"; do echo "skipped (simulator only: $simulator_only): $suite"; done
  while IFS= read -r file; do bun_args+=("$file"); done < <(bun_test_files "$simulator_only")
fi
"$BUN" test --timeout 60000 "${bun_args[@]}" 2>&1 | tee "$logdir/bun.out"
rc=${PIPESTATUS[0]}
bp=$(grep -E '^ *[0-9]+ pass$' "$logdir/bun.out" | tail -n 1 | tr -dc '0-9')
bf=$(grep -E '^ *[0-9]+ fail$' "$logdir/bun.out" | tail -n 1 | tr -dc '0-9')
printf '%s passed, %s failed\n' "${bp:-0}" "${bf:-0}" >"$logdir/bun.count"
tally "bun test" "$rc" "$logdir/bun.count"

for suite in test/gocty/check.sh test/conformance/run.sh test/e2e/run.sh; do
  [ -f "$suite" ] || continue
  if [ "$suite" = test/e2e/run.sh ] && [ -n "${SKIP_E2E:-}" ]; then echo "== $suite skipped (SKIP_E2E)"; continue; fi
  # The conformance harness drives the plugin with the simulator's pot.
  if [ "$suite" = test/conformance/run.sh ] && [ -n "$simulator_only" ]; then echo "== $suite skipped (simulator only: $simulator_only)"; continue; fi
  echo "== $suite"
  bash "$suite" 2>&1 | tee "$logdir/suite.out"
  tally "$suite" "${PIPESTATUS[0]}" "$logdir/suite.out"
done

# The image pot that pot imported for the suites (pot keeps imports) goes again, if this run made it.
if [[ -n $suite_image_pot ]] && "$POT_PATH" ls -q 2>/dev/null | grep -qx "$suite_image_pot"; then
  "$POT_PATH" destroy -p "$suite_image_pot" >/dev/null 2>&1 || echo "could not destroy the image pot $suite_image_pot"
fi
# Anything left in the private TMPDIR, or mounted below it, is one failure; live processes are printed.
echo "== leftovers"
if [[ -n $outer_tmpdir ]]; then export TMPDIR=$outer_tmpdir; else unset TMPDIR; fi
if check_leftovers "$run_tmp"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
