#!/usr/bin/env bash
# End-to-end test: a real Nomad v1.6.3 agent (server + client, 127.0.0.1 only)
# loads our plugin and runs the seed's nginx-pot job against pot (the simulator
# on non-FreeBSD hosts). Every check goes through the real `nomad` CLI.
#
#   test/e2e/run.sh          prints "ok - <check>" / "not ok - <check>" per check,
#                            then "N passed, N failed"; exits 1 if any failed.
#
# The agent runs without -dev: a -dev agent keeps no client state and destroys
# its allocations on shutdown, so the agent-restart check could not work with it.
set -uo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PASSED=0
FAILED=0
WHY=""

ok() {
  printf 'ok - %s\n' "$1"
  PASSED=$((PASSED + 1))
}
not_ok() {
  printf 'not ok - %s\n' "$1"
  [[ -n $WHY ]] && printf '%s\n' "$WHY" | sed 's/^/#   /'
  FAILED=$((FAILED + 1))
}
# check NAME FUNCTION [ARGS...]: the function sets WHY when it fails.
check() {
  local name=$1
  shift
  WHY=""
  if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# skip_rest NAME...: checks that cannot run because an earlier step failed.
cannot() {
  local reason=$1
  shift
  local name
  for name in "$@"; do
    WHY="not attempted: $reason"
    not_ok "$name"
  done
}

finish() {
  local status=$?
  e2e_teardown "$FAILED"
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  if ((FAILED > 0 || status != 0)); then exit 1; fi
  exit 0
}
trap finish EXIT
trap 'WHY="interrupted"; not_ok "run completed"; exit 130' INT TERM

JOBS=$E2E_DIR/jobs
NGINX_TASK=nginx-pot
ALLOC=""

# --- helpers for the checks --------------------------------------------------------

task_events() { # ALLOC TASK -> "Type: Message" lines
  nomad alloc status -t "{{range (index .TaskStates \"$2\").Events}}{{.Type}}: {{.DisplayMessage}}{{\"\\n\"}}{{end}}" "$1" 2>/dev/null
}

plugin_log_tail() {
  grep -E "driver_mgr\.$PLUGIN_NAME|driver=pot" "$WORK/agent.log" 2>/dev/null | tail -n 15
}

explain_alloc() { # ALLOC TASK: alloc state, task events and the plugin's last log lines
  local a=$1 t=$2
  printf 'alloc %s: client status %s\n' "$a" "$(alloc_field "$a" '{{.ClientStatus}}')"
  printf 'task events:\n%s\n' "$(task_events "$a" "$t")"
  printf 'plugin log (last lines):\n%s\n' "$(plugin_log_tail)"
}

# wait_task_state ALLOC TASK WANT...: polls until the task reaches one of the
# states (running, dead) or the alloc is failed/lost.
task_state_is() {
  local state
  state=$(nomad alloc status -t "{{with index .TaskStates \"$2\"}}{{.State}}{{end}}" "$1" 2>/dev/null)
  [[ $state == "$3" ]]
}
alloc_terminal() {
  local s
  s=$(alloc_field "$1" '{{.ClientStatus}}')
  [[ $s == complete || $s == failed || $s == lost ]]
}
running_or_terminal() { task_state_is "$1" "$2" running || alloc_terminal "$1"; }

# PIDs of this run's processes running the image's nginx.
nginx_pids() {
  local p
  for p in $(run_pids); do
    host_args "$p" | grep -c 'usr/local/sbin/nginx' >/dev/null && echo "$p"
  done
}

# --- checks ------------------------------------------------------------------------

c_agent_ready() {
  start_agent || {
    WHY="agent did not report a ready node within ${DEADLINE}s"
    return 1
  }
}

# place_job JOB FILE [nomad job run options…]: runs the job detached and, once an allocation is placed (within
# 30 s), sets PLACED to its ID; otherwise WHY says what failed.
place_job() {
  local job=$1 file=$2 out
  shift 2
  PLACED=""
  out=$(nomad job run -detach "$@" "$file" 2>&1) || {
    WHY="nomad job run failed: $out"
    return 1
  }
  poll 30 has_alloc "$job" && PLACED=$(latest_alloc "$job")
  [[ -n $PLACED ]] || {
    WHY="no allocation was placed: $(nomad job status "$job" 2>&1 | tail -n 15)"
    return 1
  }
}

c_raw_exec_smoke() {
  place_job raw-exec-smoke "$JOBS/raw-exec-smoke.nomad.hcl" || return 1
  local a=$PLACED
  if ! poll "$DEADLINE" running_or_terminal "$a" loop || ! task_state_is "$a" loop running; then
    WHY=$(explain_alloc "$a" loop)
    return 1
  fi
  poll 15 logs_contain "$a" loop "raw-exec-smoke up" || {
    WHY="alloc logs lacked the task's first line"
    return 1
  }
  nomad job stop -purge raw-exec-smoke >/dev/null 2>&1
  poll "$DEADLINE" alloc_terminal "$a" || {
    WHY="smoke alloc did not stop"
    return 1
  }
}
logs_contain() { nomad alloc logs "$1" "$2" 2>/dev/null | grep -cF -- "$3" >/dev/null; }

c_driver_healthy() {
  if ! poll "$DEADLINE" driver_healthy; then
    WHY=$(
      echo "node drivers:"
      nomad node status -self -verbose 2>/dev/null | sed -n '/^Drivers/,/^$/p'
      echo "plugin log (last lines):"
      plugin_log_tail
    )
    return 1
  fi
}
driver_healthy() {
  [[ $(nomad node status -self -t '{{with index .Drivers "pot"}}{{.Detected}} {{.Healthy}}{{end}}' 2>/dev/null) == "true true" ]]
}

c_nginx_running() {
  place_job nginx-pot "$JOBS/nginx-pot.nomad.hcl" -var "image_url=$IMAGE_URL" -var "host_dir=$HOST_DIR" || return 1
  ALLOC=$PLACED
  if ! poll "$DEADLINE" running_or_terminal "$ALLOC" "$NGINX_TASK" ||
    ! task_state_is "$ALLOC" "$NGINX_TASK" running; then
    WHY=$(explain_alloc "$ALLOC" "$NGINX_TASK")
    return 1
  fi
  [[ $(alloc_field "$ALLOC" '{{.ClientStatus}}') == running ]] || {
    WHY=$(explain_alloc "$ALLOC" "$NGINX_TASK")
    return 1
  }
}

c_logs() {
  poll 20 logs_contain "$ALLOC" "$NGINX_TASK" "nginx (e2e stand-in) started" || {
    WHY="nomad alloc logs: $(nomad alloc logs "$ALLOC" "$NGINX_TASK" 2>&1 | tail -n 5)"
    return 1
  }
}

c_exec() {
  local out
  out=$(timeout 30 "$NOMAD_BIN" alloc exec -i=false -t=false -task "$NGINX_TASK" "$ALLOC" \
    echo e2e-exec-says-hello 2>&1)
  [[ $? == 0 && $out == *e2e-exec-says-hello* ]] || {
    WHY="nomad alloc exec: $out"
    return 1
  }
}

c_exec_status() {
  timeout 30 "$NOMAD_BIN" alloc exec -i=false -t=false -task "$NGINX_TASK" "$ALLOC" \
    sh -c 'exit 7' >/dev/null 2>&1
  local rc=$?
  [[ $rc == 7 ]] || {
    WHY="expected exit status 7 from nomad alloc exec, got $rc"
    return 1
  }
}

# signal_reaches_nginx SIG: `nomad alloc signal` delivers SIG and the nginx task's output shows it arrived.
signal_reaches_nginx() {
  local out
  out=$(nomad alloc signal -s "$1" "$ALLOC" "$NGINX_TASK" 2>&1) || {
    WHY="nomad alloc signal: $out"
    return 1
  }
  poll 20 logs_contain "$ALLOC" "$NGINX_TASK" "nginx got $1" || {
    WHY="the task's output never showed the $1; logs: $(nomad alloc logs "$ALLOC" "$NGINX_TASK" 2>&1 | tail -n 5)"
    return 1
  }
}

c_signal() {
  signal_reaches_nginx SIGHUP
}

# `alloc status -stats` prints a "Memory Stats" and/or "CPU Stats" table whose
# value row has numbers only when the driver streamed a sample for the task.
stats_have_numbers() {
  nomad alloc status -stats "$ALLOC" 2>&1 | awk '
    /^Couldn.t retrieve stats/ { bad = 1 }
    /^(Memory|CPU) Stats$/ { row = 2; next }
    row == 2 { row = 1; next }                     # column names
    row == 1 { if ($0 ~ /[0-9]/) found = 1; row = 0 }
    END { exit !(found && !bad) }'
}
c_stats() {
  poll 30 stats_have_numbers || {
    WHY="nomad alloc status -stats:
$(nomad alloc status -stats "$ALLOC" 2>&1 | sed -n '/^Task Resources/,$p' | head -n 20)"
    return 1
  }
}

c_restart_recovers() {
  local started_before restarts_before pids_before events_before
  started_before=$(alloc_field "$ALLOC" "{{(index .TaskStates \"$NGINX_TASK\").StartedAt}}")
  restarts_before=$(alloc_field "$ALLOC" "{{(index .TaskStates \"$NGINX_TASK\").Restarts}}")
  events_before=$(task_events "$ALLOC" "$NGINX_TASK" | grep -c '^Started:')
  pids_before=$(nginx_pids | sort | tr '\n' ' ')
  [[ -n $pids_before ]] || {
    WHY="cannot find the task's nginx process before the restart"
    return 1
  }
  local log_lines
  log_lines=$(wc -l <"$WORK/agent.log")
  stop_agent
  local pid
  for pid in $pids_before; do
    kill -0 "$pid" 2>/dev/null || {
      WHY="task process $pid died when the agent stopped"
      return 1
    }
  done
  local restarted_ns
  restarted_ns=$(host_now_ns)
  start_agent || {
    WHY="agent did not come back"
    return 1
  }
  # The client calls RecoverTask (and, if that fails, DestroyTask) for each
  # task while it starts, before its HTTP API answers, so the process check
  # below is already meaningful. The server's view of the task may lag, so
  # also wait for a stats sample taken by the restarted client: it exists only
  # once the task runner holds a live driver handle again.
  poll 30 stats_sampled_after "$restarted_ns" ||
    note "no stats sample from the restarted client within 30s"
  local problems=""
  [[ $(alloc_field "$ALLOC" '{{.ClientStatus}}') == running ]] ||
    problems+="alloc client status is $(alloc_field "$ALLOC" '{{.ClientStatus}}')"$'\n'
  [[ $(alloc_field "$ALLOC" "{{(index .TaskStates \"$NGINX_TASK\").StartedAt}}") == "$started_before" ]] ||
    problems+="task StartedAt changed (it was restarted)"$'\n'
  [[ $(alloc_field "$ALLOC" "{{(index .TaskStates \"$NGINX_TASK\").Restarts}}") == "$restarts_before" ]] ||
    problems+="task restart count changed"$'\n'
  [[ $(task_events "$ALLOC" "$NGINX_TASK" | grep -c '^Started:') == "$events_before" ]] ||
    problems+="a new Started event appeared"$'\n'
  [[ $(nginx_pids | sort | tr '\n' ' ') == "$pids_before" ]] ||
    problems+="nginx processes changed: before [$pids_before] after [$(nginx_pids | sort | tr '\n' ' ')]"$'\n'
  local recover_errors
  recover_errors=$(tail -n +"$((log_lines + 1))" "$WORK/agent.log" | grep -E 'error recovering task|failed to recover' | head -n 3)
  [[ -z $recover_errors ]] || problems+="agent log: $recover_errors"$'\n'
  if [[ -n $problems ]]; then
    WHY="$problems$(explain_alloc "$ALLOC" "$NGINX_TASK")"
    return 1
  fi
}
# stats_sampled_after NS: the client's latest stats sample for the alloc is newer than NS (Unix nanoseconds).
stats_sampled_after() {
  local newest
  newest=$(nomad operator api "/v1/client/allocation/$ALLOC/stats" 2>/dev/null |
    grep -o '"Timestamp":[0-9]*' | cut -d: -f2 | sort -n | tail -n 1)
  [[ -n $newest ]] && ((newest > $1))
}

c_signal_after_restart() {
  signal_reaches_nginx SIGUSR1
}

c_job_stop() {
  local pids
  pids=$(nginx_pids)
  local out
  # -detach: without it the CLI follows the deployment, which ends "cancelled"
  # (exit status 1) whenever a job is stopped.
  out=$(nomad job stop -detach nginx-pot 2>&1) || {
    WHY="nomad job stop: $out"
    return 1
  }
  poll "$DEADLINE" alloc_terminal "$ALLOC" || {
    WHY="alloc still $(alloc_field "$ALLOC" '{{.ClientStatus}}') after ${DEADLINE}s"
    return 1
  }
  poll "$DEADLINE" no_pot_for_alloc || {
    WHY="pots left: $(pot_cmd ls -q 2>&1 | tr '\n' ' ')"
    return 1
  }
  local pid
  for pid in $pids; do
    if kill -0 "$pid" 2>/dev/null; then
      WHY="task process $pid still running after job stop"
      return 1
    fi
  done
}
# Pot names carry the allocation ID (<task>_<invocation>_<alloc>).
no_pot_for_alloc() { ! pot_cmd ls -q 2>/dev/null | grep -cF -- "$ALLOC" >/dev/null; }

c_batch_exit_code() {
  place_job batch-exit3 "$JOBS/batch-exit3.nomad.hcl" -var "image_url=$IMAGE_URL" || return 1
  local a=$PLACED
  poll "$DEADLINE" alloc_terminal "$a" || {
    WHY=$(explain_alloc "$a" finish)
    return 1
  }
  nomad alloc status "$a" 2>/dev/null | grep -c 'Terminated .*Exit Code: 3' >/dev/null || {
    WHY=$(explain_alloc "$a" finish)
    return 1
  }
  local code
  code=$(alloc_field "$a" '{{range (index .TaskStates "finish").Events}}{{if eq .Type "Terminated"}}{{index .Details "exit_code"}}{{end}}{{end}}')
  [[ $code == 3 ]] || {
    WHY="Terminated event exit_code detail is '$code'"
    return 1
  }
}

# --- run ---------------------------------------------------------------------------

if [[ $(uname -s) != FreeBSD && -z ${POT_E2E_REAL_POT:-${POT_PATH:-}} ]]; then
  note "pot is the simulator (test/fakes/pot): jails are plain processes on this host"
fi
e2e_init
ensure_nomad
ensure_plugin
ensure_pot
make_host_files
make_image
start_fileserver
write_agent_config

check "nomad agent starts and its client node is ready" c_agent_ready
if ((FAILED > 0)); then
  cannot "the agent did not start" "raw_exec smoke job runs" "pot driver is detected and healthy" \
    "nginx-pot job is running" "alloc logs show the task's output" "alloc exec runs a command" \
    "alloc exec returns the command's exit status" "alloc signal reaches the task" \
    "alloc status -stats has numbers" "agent restart recovers the running task without restarting it" \
    "recovered task still takes signals" "job stop leaves no pot behind" "batch job's exit code 3 is in task events"
  exit 1
fi
check "raw_exec smoke job runs (the agent can run tasks here)" c_raw_exec_smoke
check "pot driver is detected and healthy" c_driver_healthy
check "nginx-pot job is running" c_nginx_running
if [[ -n $ALLOC ]] && task_state_is "$ALLOC" "$NGINX_TASK" running; then
  check "alloc logs show the task's output" c_logs
  check "alloc exec runs a command" c_exec
  check "alloc exec returns the command's exit status" c_exec_status
  check "alloc signal reaches the task" c_signal
  check "alloc status -stats has numbers" c_stats
  check "agent restart recovers the running task without restarting it" c_restart_recovers
  check "recovered task still takes signals" c_signal_after_restart
  check "job stop leaves no pot behind" c_job_stop
else
  cannot "nginx-pot is not running" "alloc logs show the task's output" "alloc exec runs a command" \
    "alloc exec returns the command's exit status" "alloc signal reaches the task" \
    "alloc status -stats has numbers" "agent restart recovers the running task without restarting it" \
    "recovered task still takes signals" "job stop leaves no pot behind"
fi
check "batch job's exit code 3 is in task events" c_batch_exit_code
