# shellcheck shell=bash
# Shared by run.sh and demo.sh: a single-node Nomad v1.6.3 agent on 127.0.0.1 with
# our plugin in plugin_dir, pot (the simulator on non-FreeBSD hosts) and a
# loopback file server holding the test image. Everything lives in one temporary
# work directory and is torn down by e2e_teardown (install it with a trap).
#
# Environment knobs:
#   POT_E2E_KEEP=1         keep the work directory (logs, agent data) afterwards
#   POT_E2E_DEADLINE=60    seconds allowed for each state change we wait for
#   POT_E2E_REAL_POT=path  use this pot instead of the simulator (FreeBSD); POT_PATH, the
#                          switch of the whole suite (scripts/test.sh), does the same

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source=../support/host.sh
source "$REPO_ROOT/test/support/host.sh"
BUN=$REPO_ROOT/node_modules/.bin/bun
PLUGIN_NAME="pot-task-driver"
DEADLINE=${POT_E2E_DEADLINE:-60}

WORK=""
RUN_ID=""
AGENT_PID=""
FILESERVER_PID=""
NOMAD_BIN=""
POT_BIN=""
POT_IS_SIM=1
IMAGE_URL=""
HOST_DIR=""
export NOMAD_ADDR=""

note() { printf '# %s\n' "$*" >&2; }
die() {
  printf 'e2e: %s\n' "$*" >&2
  exit 1
}

# Matching a command's output: `cmd | grep -c … >/dev/null`, never `grep -q`. Under pipefail, grep -q exits at its
# first match and the command can die of SIGPIPE on its next write, which fails the pipeline at random.

# poll SECONDS COMMAND... : runs COMMAND every 0.25 s until it succeeds (0) or
# the deadline passes (1). The command's output is discarded.
poll() {
  local secs=$1
  shift
  local end=$((SECONDS + secs))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    ((SECONDS < end)) || return 1
    sleep 0.25
  done
}

nomad() { "$NOMAD_BIN" "$@"; }

e2e_init() {
  [[ -x $BUN ]] || die "bun not found at $BUN (run npm ci in $REPO_ROOT)"
  # Short path: go-plugin's unix sockets must stay under the sun_path limit.
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pot-e2e.XXXXXX")
  RUN_ID=${WORK##*/}
  HOST_DIR=$WORK/host
  mkdir -p "$WORK/data" "$WORK/plugins" "$WORK/state" "$WORK/registry" "$HOST_DIR"
  note "work directory: $WORK"
}

# --- binaries ------------------------------------------------------------------

ensure_nomad() {
  NOMAD_BIN=$("$E2E_DIR/build-nomad.sh") || die "could not build nomad (see above)"
  note "nomad: $NOMAD_BIN ($("$NOMAD_BIN" version | head -1))"
}

# Our linux binary, rebuilt when it is missing or older than any source file.
ensure_plugin() {
  local bin=$REPO_ROOT/dist/pot-task-driver-linux-x64
  [[ $(uname -s) == FreeBSD ]] && bin=$REPO_ROOT/dist/pot-task-driver-freebsd-$( [[ $(uname -m) == arm64 ]] && echo arm64 || echo x64)
  if [[ ! -x $bin ]] || [[ -n $(find "$REPO_ROOT/src" -type f -newer "$bin" -print -quit) ]]; then
    [[ -f $REPO_ROOT/scripts/build.sh ]] || die "scripts/build.sh does not exist yet; cannot build $bin"
    note "building $bin"
    local target=${bin##*/pot-task-driver-}
    (cd "$REPO_ROOT" && "$BUN" run build "$target") >&2 || die "plugin build failed"
  fi
  [[ -x $bin ]] || die "plugin binary $bin missing after build"
  # Nomad loads a plugin only if a plugin "<file name>" block names it.
  ln -sf "$bin" "$WORK/plugins/$PLUGIN_NAME"
  note "plugin: $bin"
}

ensure_pot() {
  if [[ -n ${POT_E2E_REAL_POT:-${POT_PATH:-}} ]]; then
    POT_BIN=${POT_E2E_REAL_POT:-$POT_PATH}
    POT_IS_SIM=0
  elif [[ $(uname -s) == FreeBSD && -x /usr/local/bin/pot ]]; then
    POT_BIN=/usr/local/bin/pot
    POT_IS_SIM=0
  else
    local sim=$REPO_ROOT/test/fakes/pot
    POT_IS_SIM=1
    [[ -x $sim ]] || die "pot simulator $sim is missing"
    export POT_SIM_ROOT=$WORK/potsim
    mkdir -p "$POT_SIM_ROOT" "$WORK/bin"
    # The driver passes pot no environment, so this pot has its root fixed in the file, as real pot keeps its
    # settings in pot.conf (the same wrapper as test/fakes/simulator.ts installSimPot).
    POT_BIN=$WORK/bin/pot
    printf '#!/bin/sh\n: ${POT_SIM_ROOT:=%q}\nexport POT_SIM_ROOT\nexec %q "$@"\n' "$POT_SIM_ROOT" "$sim" >"$POT_BIN"
    chmod 755 "$POT_BIN"
    # Where pot keeps its state files, beside it as real pot has it (test/fakes/simulator.ts writeSimPotConf).
    mkdir -p "$WORK/etc/pot"
    printf 'POT_FS_ROOT=%q\nPOT_TMP=%q\n' "$POT_SIM_ROOT" "$POT_SIM_ROOT/tmp" >"$WORK/etc/pot/pot.default.conf"
  fi
  note "pot: $POT_BIN$( ((POT_IS_SIM)) && echo " (simulator, POT_SIM_ROOT=$POT_SIM_ROOT)")"
}

pot_cmd() { "$POT_BIN" "$@"; }

# --- the test image and the file server ------------------------------------------

# Files the seed job copies and mounts from the host (allowed via allowed_host_paths).
make_host_files() {
  mkdir -p "$HOST_DIR/test" "$HOST_DIR/test2"
  printf '<h1>pot-task-driver e2e</h1>\n' >"$HOST_DIR/index.html"
  printf 'daemon off;\n' >"$HOST_DIR/nginx.conf"
  printf 'mounted read-write\n' >"$HOST_DIR/test/rw.txt"
  printf 'mounted read-only\n' >"$HOST_DIR/test2/ro.txt"
}

# The seed job's image, FBSD120-nginx @ 1.0 (see make-image.ts: a stand-in nginx
# and a `finish` program): in the simulator's format, or with real pot made by
# scripts/make-pot-image.sh from an installed base. POT_E2E_REGISTRY instead names
# a directory that already holds a real image of that name.
make_image() {
  if [[ -n ${POT_E2E_REGISTRY:-} ]]; then
    rmdir "$WORK/registry" && ln -s "$POT_E2E_REGISTRY" "$WORK/registry" || die "bad POT_E2E_REGISTRY"
    return 0
  fi
  if ((POT_IS_SIM)); then
    "$BUN" "$E2E_DIR/make-image.ts" "$WORK/registry" >/dev/null || die "could not build the test image"
    return 0
  fi
  # Real pot: the same jail files made into a real image from an installed base (scripts/make-pot-image.sh).
  "$BUN" "$E2E_DIR/make-image.ts" --tree "$WORK/image-files" || die "could not write the test image's files"
  "$REPO_ROOT/scripts/make-pot-image.sh" -P "$POT_BIN" -p FBSD120-nginx -t 1.0 -f "$WORK/image-files" -c nginx \
    "$WORK/registry" >"$WORK/make-image.out" || die "could not make a real pot image (see above; or set POT_E2E_REGISTRY)"
}

start_fileserver() {
  "$BUN" "$E2E_DIR/fileserver.ts" "$WORK/registry" 0 >"$WORK/fileserver.out" 2>"$WORK/fileserver.log" &
  FILESERVER_PID=$!
  poll 15 grep -q '^listening ' "$WORK/fileserver.out" || die "file server did not start (see $WORK/fileserver.log)"
  IMAGE_URL=$(sed -n 's/^listening //p' "$WORK/fileserver.out")
  note "image registry: $IMAGE_URL (pid $FILESERVER_PID)"
}

# --- the agent -------------------------------------------------------------------

# Three free TCP ports on 127.0.0.1 (held together so they differ, then released).
free_ports() {
  "$BUN" -e '
    const ss = [0, 1, 2].map(() => Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }));
    console.log(ss.map((s) => s.port).join(" "));
    for (const s of ss) s.stop(true);'
}

write_agent_config() {
  local http rpc serf
  read -r http rpc serf < <(free_ports)
  NOMAD_ADDR=http://127.0.0.1:$http
  local block
  block=$(
    cat <<EOF
  config {
    pot_path           = "$POT_BIN"
    state_dir          = "$WORK/state"
    allowed_host_paths = ["$HOST_DIR"]
    log_level          = "debug"
  }
EOF
  )
  # Placeholders are replaced literally (no regex/escaping surprises from paths).
  TEMPLATE=$E2E_DIR/agent.hcl.tmpl OUT=$WORK/agent.hcl DATA_DIR=$WORK/data PLUGIN_DIR=$WORK/plugins \
    HTTP_PORT=$http RPC_PORT=$rpc SERF_PORT=$serf POT_PLUGIN_BLOCK=$block "$BUN" -e '
      const env = process.env;
      let text = await Bun.file(env.TEMPLATE).text();
      for (const key of ["DATA_DIR", "PLUGIN_DIR", "HTTP_PORT", "RPC_PORT", "SERF_PORT", "POT_PLUGIN_BLOCK"]) {
        text = text.replaceAll(`@${key}@`, env[key]);
      }
      if (/@[A-Z_]+@/.test(text)) throw new Error("unfilled placeholder in agent config");
      await Bun.write(env.OUT, text);' || die "could not write $WORK/agent.hcl"
}

# start_agent [extra agent flags...]: starts the agent in the background (its
# output appended to $WORK/agent.log) and waits until the node is ready.
start_agent() {
  # Run from the work dir; the marker lets teardown find every process the
  # agent, the plugin and pot started, even after they detached.
  (cd "$WORK" && exec env POT_E2E_RUN="$RUN_ID" "$NOMAD_BIN" agent -config "$WORK/agent.hcl" "$@" \
    >>"$WORK/agent.log" 2>&1) &
  AGENT_PID=$!
  note "nomad agent pid $AGENT_PID, $NOMAD_ADDR, log $WORK/agent.log"
  local end=$((SECONDS + DEADLINE))
  until node_ready; do
    if ! kill -0 "$AGENT_PID" 2>/dev/null || ((SECONDS >= end)); then
      kill -0 "$AGENT_PID" 2>/dev/null && note "no ready node after ${DEADLINE}s" || note "the agent exited"
      note "last lines of $WORK/agent.log:"
      tail -n 30 "$WORK/agent.log" | sed 's/^/#   /' >&2
      return 1
    fi
    sleep 0.25
  done
}

node_ready() {
  [[ $(nomad node status -self -t '{{.Status}}' 2>/dev/null) == ready ]]
}

# stop_agent: SIGTERM (a background job ignores SIGINT), SIGKILL after the deadline.
stop_agent() {
  [[ -n $AGENT_PID ]] || return 0
  if kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    if ! poll 30 agent_gone; then
      note "agent $AGENT_PID ignored SIGTERM for 30s; killing it"
      kill -KILL "$AGENT_PID" 2>/dev/null || true
    fi
  fi
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=""
}
agent_gone() { ! kill -0 "$AGENT_PID" 2>/dev/null; }

# --- allocations -----------------------------------------------------------------

# latest_alloc JOB: the ID of the job's most recently created allocation.
latest_alloc() {
  nomad job allocs -t '{{range .}}{{.CreateTime}} {{.ID}}{{"\n"}}{{end}}' "$1" 2>/dev/null |
    sort -n | tail -n 1 | cut -d' ' -f2
}

# has_alloc JOB: whether the job has an allocation yet.
has_alloc() { [[ -n $(latest_alloc "$1") ]]; }

alloc_field() { nomad alloc status -t "$2" "$1" 2>/dev/null; }

# --- teardown --------------------------------------------------------------------

# PIDs of processes started for this run: those carrying our marker in their
# environment or naming the work directory on their command line.
run_pids() {
  host_pids_matching "POT_E2E_RUN=$RUN_ID" "$WORK"
}

e2e_teardown() {
  local status=${1:-0}
  [[ -n $WORK ]] || return 0
  set +e
  if [[ -n $AGENT_PID ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
    # Stop our jobs through Nomad first, so the driver cleans up its pots.
    local job jobs
    jobs=$(list_jobs)
    for job in $jobs; do
      timeout 20 "$NOMAD_BIN" job stop -detach "$job" >/dev/null 2>&1
    done
    # A non-dev agent leaves running tasks alone when it stops: wait for them.
    if [[ -n $jobs ]] && ! poll 30 allocs_stopped $jobs; then
      note "teardown: some allocations were still running after 30s"
    fi
  fi
  stop_agent
  if [[ -n $FILESERVER_PID ]]; then
    kill -TERM "$FILESERVER_PID" 2>/dev/null
    wait "$FILESERVER_PID" 2>/dev/null
  fi
  # Pots left behind (simulator only; never touch a real host's pots).
  if ((POT_IS_SIM)) && [[ -n $POT_BIN && -x $POT_BIN ]]; then
    local pot
    for pot in $(pot_cmd ls -q 2>/dev/null); do
      note "teardown: destroying leftover pot $pot"
      pot_cmd stop "$pot" >/dev/null 2>&1
      pot_cmd destroy -F -p "$pot" >/dev/null 2>&1
    done
  fi
  local pids
  pids=$(run_pids)
  if [[ -n $pids ]]; then
    note "teardown: ending leftover processes: $(echo $pids)"
    kill -TERM $pids 2>/dev/null
    local end=$((SECONDS + 5))
    while ((SECONDS < end)) && [[ -n $(run_pids) ]]; do sleep 0.2; done
    pids=$(run_pids)
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
  fi
  # Anything mounted below the work directory (e.g. the simulator's mount-in)
  # must go before the directory is removed, or rm would follow it.
  # A non-dev Nomad client keeps the tmpfs it mounts on each task's secrets/
  # and private/ until the allocation is garbage-collected, which a stopped
  # agent never does.
  local mnt count=0
  for mnt in $(host_mounts_under "$WORK"); do
    if host_unmount "$mnt" 2>/dev/null; then count=$((count + 1)); else note "teardown: could not unmount $mnt"; fi
  done
  ((count == 0)) || note "teardown: unmounted $count mounts left below $WORK"
  if [[ ${POT_E2E_KEEP:-0} == 1 || $status != 0 ]]; then
    note "kept $WORK (agent.log, fileserver.log, data/)"
  else
    host_rm_tree "$WORK"
  fi
  WORK=""
}

allocs_stopped() {
  local job
  for job in "$@"; do
    nomad job allocs -t '{{range .}}{{.ClientStatus}} {{end}}' "$job" 2>/dev/null | grep -cE 'running|pending' >/dev/null && return 1
  done
  return 0
}

list_jobs() {
  nomad job status 2>/dev/null | awk 'NR > 1 && $1 != "No" { print $1 }'
}
