# shellcheck shell=bash
# What a test run left behind (sourced by scripts/test.sh, after test/support/host.sh). The run gives every
# suite TMPDIR=RUN_TMP, a fresh directory of its own, so whatever is in it at the end was left by a test.

# run_processes RUN_TMP: "<pid> <args>" of each live process of the run: TMPDIR=RUN_TMP in its environment or a
# path below RUN_TMP on its command line (plugins, supervise.sh, the pot simulator, a nomad agent).
run_processes() {
  local run_tmp=$1 pid args
  for pid in $(host_pids_matching "TMPDIR=$run_tmp" "$run_tmp"); do
    [[ $pid == "$BASHPID" ]] && continue
    args=$(host_args "$pid")
    [[ -n $args ]] && echo "$pid $args"
  done
}

# check_leftovers RUN_TMP [GRACE_SECONDS]: prints the run's processes still alive after the grace (default 10 s,
# for processes on their way out; printed only), then what is mounted below RUN_TMP or left in it: those are
# unmounted and make it return 1. Call it with TMPDIR no longer pointing at RUN_TMP.
check_leftovers() {
  local run_tmp=$1 grace=${2:-10} left mounts entries mnt
  local end=$((SECONDS + grace))
  while left=$(run_processes "$run_tmp") && [[ -n $left ]] && ((SECONDS < end)); do sleep 0.2; done
  if [[ -n $left ]]; then
    echo "still running after the suites (a test did not end them):"
    sed 's/^/  /' <<<"$left"
  fi
  mounts=$(host_mounts_under "$run_tmp")
  entries=$(find "$run_tmp" -mindepth 1 -maxdepth 1 | sort)
  if [[ -z $mounts && -z $entries ]]; then
    echo "temp dir clean"
    return 0
  fi
  echo "left in the temp dir $run_tmp by the tests:"
  [[ -z $mounts ]] || sed 's/^/  mounted: /' <<<"$mounts"
  [[ -z $entries ]] || sed 's/^/  /' <<<"$entries"
  for mnt in $mounts; do host_unmount "$mnt" || echo "could not unmount $mnt"; done
  return 1
}
