// Signal names (driver layer): what Nomad may send (Go's signal names, e.g. "SIGHUP") checked against the
// names FreeBSD's kill(1) and pot's `signal -s` understand. Unknown names are an error, never a fallback.
const FREEBSD_SIGNALS = new Set([
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGEMT",
  "SIGFPE",
  "SIGKILL",
  "SIGBUS",
  "SIGSEGV",
  "SIGSYS",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGURG",
  "SIGSTOP",
  "SIGTSTP",
  "SIGCONT",
  "SIGCHLD",
  "SIGTTIN",
  "SIGTTOU",
  "SIGIO",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGINFO",
  "SIGUSR1",
  "SIGUSR2",
]);

/** pot stop and jail(8) end a jail with SIGTERM; a job without kill_signal gets the same. */
export const DEFAULT_KILL_SIGNAL = "SIGTERM";

/** Normalises "hup", "SIGHUP", "sighup" to "SIGHUP"; null when FreeBSD has no such signal. */
export function normalizeSignal(name: string): string | null {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if (full === "SIGIOT") return "SIGABRT";
  return FREEBSD_SIGNALS.has(full) ? full : null;
}
