// The per-task supervisor program (a POSIX sh script shipped inside the binary) and its argv (layer 4).
//
// Why sh: one supervisor lives for every running task, so it must cost what /bin/sh costs (about 1–2 MB RSS),
// not what a Bun process costs (about 40 MB). Why detached: tasks must outlive the plugin being SIGKILLed, and
// go-plugin only notices a dead plugin once every holder of its stdout/stderr has closed them (docs/protocol.md
// §9, traps 1 and 8), so the supervisor gets its own session and its own stdio.

/** Format version of the script and of the records it writes (supervisor.pid, exit.json). */
export const SCRIPT_VERSION = 2;

/** The shell every supervisor runs under; present at this path on FreeBSD and Debian alike. */
export const SUPERVISOR_SHELL = "/bin/sh";

/**
 * The supervisor. Invoked as `/bin/sh <script> <launch-token> <bundle-dir> <stdout-path> <stderr-path> <argv…>`;
 * argv arrives as positional parameters and runs as `"$@"`, so no string is ever parsed by a shell.
 *
 * Contract (tests in test/integration/supervisor/ pin each point):
 * - stdin is /dev/null, and the script's own stdout/stderr go to <bundle-dir>/supervisor.log, never to the task;
 * - "<pid> <launch-token>\n" is written to supervisor.pid before anything that can block;
 * - the stdout/stderr paths are opened for appending by the supervisor itself, so a logmon FIFO without a
 *   reader blocks the supervisor and never the plugin; failing to open one records `"error":"open-stdout"` or
 *   `"error":"open-stderr"` instead of running argv;
 * - before opening, each path's directory must physically be the given <stdout-dir>/<stderr-dir> (entered with
 *   `cd -P`, no symlink on the way) and the name in it a FIFO, a regular file or absent, never a symlink
 *   (/dev/null is always allowed); otherwise `"error":"unsafe-stdout"` (or stderr) with `"why"` one of
 *   `directory`, `symlink`, `type` is recorded instead of running argv (docs/security.md);
 * - argv runs in a subshell that execs it: caught signals are back to their defaults there, and a builtin or
 *   function name cannot hijack the supervisor (`exec` only runs programs);
 * - HUP INT QUIT TERM PIPE USR1 USR2 are caught and ignored by the supervisor: a signal sent to the whole
 *   group reaches argv, and the supervisor survives to record how argv ended;
 * - once argv has ended, exit.json `{"version":2,"status":<$?>}` is written and the supervisor exits 0; the
 *   file's modification time is the end time. It exits 73 if supervisor.pid cannot be written and 74 if
 *   exit.json cannot be written.
 * - both records are written by one printf, a single write(2) of under a hundred bytes: a reader sees the file
 *   absent, empty or whole, and takes a record without its final newline as not written yet
 *   (src/supervisor/exit-record.ts, bundle.ts). So the script runs no program but /bin/sh and argv: no mv for
 *   an atomic rename, no date for the time.
 */
export const SUPERVISOR_SCRIPT = `# pot-task-driver task supervisor, format ${SCRIPT_VERSION} (src/supervisor/script.ts).
# usage: /bin/sh supervise.sh <launch-token> <bundle-dir> <stdout-path> <stderr-path> <stdout-dir> <stderr-dir> <argv...>
token=$1 dir=$2 out=$3 err=$4 outdir=$5 errdir=$6
shift 6
exec </dev/null >>"$dir/supervisor.log" 2>&1
trap : HUP INT QUIT TERM PIPE USR1 USR2

# note <text>: a line in supervisor.log, without a time: a date(1) run per line would be a process per note;
# the driver's log has the launch and the end with their times (debug level), exit.json's mtime the end time.
note() {
	printf 'supervisor[%s]: %s\\n' "$$" "$*"
}

# record <json members>: writes exit.json in one write (its mtime is the end time); exits 74 when it cannot.
record() {
	if printf '{"version":${SCRIPT_VERSION},%s}\\n' "$1" >"$dir/exit.json"; then
		return 0
	fi
	note "failed to write exit.json"
	exit 74
}

if ! printf '%s %s\\n' "$$" "$token" >"$dir/supervisor.pid"; then
	note "failed to write supervisor.pid"
	exit 73
fi
note "started; opening stdout and stderr"

# checked <path> <physical-dir>: the paths lie where a task can write (Nomad's alloc/logs), and this script runs
# as root, so each is opened only when its directory, entered with cd -P and so pinned as the working
# directory, is physically <physical-dir> (no symlink on the way), and the name in it is a FIFO or a regular
# file (or absent), not a symlink. Sets target (what to open) or why (symlink, type, directory; open when the
# directory cannot be entered at all).
checked() {
	why= target=
	if [ "$1" = /dev/null ]; then
		target=/dev/null
		return 0
	fi
	if ! cd -P -- "\${1%/*}/" 2>/dev/null; then
		why=open
		return 1
	fi
	# cd -P sets PWD to the physical directory (POSIX), so no pwd -P in a subshell.
	if [ "$PWD" != "$2" ]; then
		why=directory
		return 1
	fi
	target=./\${1##*/}
	if [ -L "$target" ]; then
		why=symlink
		return 1
	fi
	if [ -e "$target" ] && [ ! -p "$target" ] && [ ! -f "$target" ]; then
		why=type
		return 1
	fi
	return 0
}

# open_stream <fd 3|4> <stdout|stderr> <path> <physical-dir>: opens the checked path for appending on fd 3 or 4,
# or records why it cannot (closing fd 3 first) and exits. A caught signal can interrupt a blocking FIFO open
# (EINTR), hence the retries; "command" keeps a failed redirection on exec from ending the shell.
open_stream() {
	if ! checked "$3" "$4"; then
		exec 3>&-
		note "refused $2 $3: $why"
		if [ "$why" = open ]; then
			record "\\"error\\":\\"open-$2\\""
		else
			record "\\"error\\":\\"unsafe-$2\\",\\"why\\":\\"$why\\""
		fi
		exit 0
	fi
	tries=0
	until if [ "$1" = 3 ]; then command exec 3>>"$target"; else command exec 4>>"$target"; fi; do
		tries=$((tries + 1))
		if [ "$tries" -ge 3 ]; then
			exec 3>&-
			note "failed to open $2"
			record "\\"error\\":\\"open-$2\\""
			exit 0
		fi
	done
	cd /
}
open_stream 3 stdout "$out" "$outdir"
open_stream 4 stderr "$err" "$errdir"

note "running command"
( exec "$@" ) >&3 2>&4 3>&- 4>&-
status=$?
exec 3>&- 4>&-
note "command ended with status $status"
record "\\"status\\":$status"
exit 0
`;

/** File name of the script inside a bundle. */
export const SCRIPT_FILE = "supervise.sh";

export interface SupervisorInvocation {
  scriptPath: string;
  launchToken: string;
  bundleDir: string;
  stdoutPath: string;
  stderrPath: string;
  /** Where the directory of each path must physically be (see the contract above). */
  stdoutDir: string;
  stderrDir: string;
  argv: readonly string[];
}

/** The argv that starts a supervisor; `ps -o args=` shows it verbatim, which the identity check relies on. */
export function supervisorArgv(invocation: SupervisorInvocation): string[] {
  return [
    SUPERVISOR_SHELL,
    invocation.scriptPath,
    invocation.launchToken,
    invocation.bundleDir,
    invocation.stdoutPath,
    invocation.stderrPath,
    invocation.stdoutDir,
    invocation.stderrDir,
    ...invocation.argv,
  ];
}
