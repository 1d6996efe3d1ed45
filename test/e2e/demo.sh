#!/usr/bin/env bash
# Demo: a real `nomad agent -dev` (v1.6.3, 127.0.0.1 only) runs the seed's
# nginx-pot job through our driver, shows its status and logs, then stops it.
# On FreeBSD with pot installed it uses the real pot; everywhere else it uses the
# pot simulator (test/fakes/pot), and says so.
#
#   test/e2e/demo.sh
set -uo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATUS=1
trap 'e2e_teardown "$STATUS"' EXIT
trap 'exit 130' INT TERM

if [[ -t 1 ]]; then
  bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
  bold() { printf '\n%s\n' "$*"; }
fi
show() { # show CMD...: print the command as typed, then run it
  printf '\n$ nomad'
  printf ' %q' "$@"
  printf '\n'
  nomad "$@"
}

alloc_settled() {
  local s
  s=$(nomad alloc status -t '{{with index .TaskStates "nginx-pot"}}{{.State}}{{end}} {{.ClientStatus}}' "$ALLOC" 2>/dev/null)
  [[ $s == "running running" || $s == *complete || $s == *failed ]]
}
nginx_said_hello() { nomad alloc logs "$ALLOC" nginx-pot 2>/dev/null | grep -c 'nginx .*started' >/dev/null; }
alloc_done() {
  local s
  s=$(nomad alloc status -t '{{.ClientStatus}}' "$ALLOC" 2>/dev/null)
  [[ $s == complete || $s == failed ]]
}
ALLOC=""

echo "Preparing: Nomad v1.6.3 (built from the Go module proxy on first use, a few minutes),"
echo "our plugin binary, pot, a test image and a loopback file server."
e2e_init
ensure_nomad
ensure_plugin
ensure_pot

if ((POT_IS_SIM)); then
  bold "=== pot-task-driver demo against the POT SIMULATOR (test/fakes/pot) ==="
  echo "This host is $(uname -s), not FreeBSD with pot: jails are simulated as plain"
  echo "processes. Nomad, the plugin protocol and our driver binary are the real ones."
else
  bold "=== pot-task-driver demo against real pot ($POT_BIN) ==="
fi

make_host_files
make_image
start_fileserver
write_agent_config
bold "Starting nomad agent -dev (127.0.0.1 only), plugin_dir with our driver"
start_agent -dev || exit 1
nomad node status -self -verbose | sed -n '/^Drivers/,/^$/p'

bold "Running the seed's nginx-pot job (image from $IMAGE_URL)"
show job run -detach -var "image_url=$IMAGE_URL" -var "host_dir=$HOST_DIR" "$E2E_DIR/jobs/nginx-pot.nomad.hcl" || exit 1

poll 30 has_alloc nginx-pot
ALLOC=$(latest_alloc nginx-pot)
[[ -n $ALLOC ]] && poll "$DEADLINE" alloc_settled

show job status nginx-pot
if [[ -n $ALLOC ]]; then
  show alloc status "$ALLOC"
  poll 15 nginx_said_hello
  show alloc logs "$ALLOC" nginx-pot
fi

running=0
[[ -n $ALLOC && $(nomad alloc status -t '{{.ClientStatus}}' "$ALLOC" 2>/dev/null) == running ]] && running=1

bold "Stopping the job"
show job stop -detach nginx-pot
[[ -n $ALLOC ]] && poll "$DEADLINE" alloc_done
show job status nginx-pot
if ((POT_IS_SIM)); then
  printf '\n$ pot ls   (simulator)\n'
  pot_cmd ls
fi

if ((running)); then
  bold "Done: the job ran through pot-task-driver and was stopped."
  STATUS=0
else
  bold "The job did not reach running; see the allocation status above (agent log: $WORK/agent.log)."
fi
exit "$STATUS"
