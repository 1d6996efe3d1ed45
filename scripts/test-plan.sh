# shellcheck shell=bash
# Which pot the suites use and which bun test files run (sourced by scripts/test.sh; see docs/freebsd.md).
# POT_PATH is the one switch: set, the suites that can use real pot use it; unset, they use the simulator.

# Suites that exist only for the pot simulator (its knobs, call log and internals); the simulator itself needs
# Linux's /proc.
SIMULATOR_ONLY_SUITES=(test/contract/sim-pot.test.ts test/integration/hostile/ test/integration/cli/doctor.test.ts
  test/integration/cli/orphans.test.ts test/integration/cli/selftest.test.ts test/integration/settings.test.ts)

# On FreeBSD real pot is the default when it is installed.
default_pot_path() {
  if [[ $(uname -s) == FreeBSD && -z ${POT_PATH:-} && -x /usr/local/bin/pot ]]; then export POT_PATH=/usr/local/bin/pot; fi
}

# Why the simulator-only suites cannot run here (empty when they can).
simulator_only_reason() {
  if [[ -n ${POT_PATH:-} ]]; then
    echo "real pot is under test (POT_PATH=$POT_PATH)"
  elif [[ $(uname -s) != Linux ]]; then
    echo "the pot simulator needs Linux /proc; set POT_PATH to real pot"
  fi
}

# bun_test_files REASON: nothing when REASON is empty (bun runs every file), else every test file under test/
# except the simulator-only suites, one per line.
bun_test_files() {
  [[ -n $1 ]] || return 0
  local file suite skip
  while IFS= read -r file; do
    skip=0
    for suite in "${SIMULATOR_ONLY_SUITES[@]}"; do [[ $file == "$suite"* ]] && skip=1; done
    ((skip)) || printf './%s\n' "$file"
  done < <(find test -name '*.test.ts' | sort)
}
