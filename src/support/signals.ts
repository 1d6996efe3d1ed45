// Signal names and numbers of the host (support layer: imported by pot/, supervisor/ and driver/; imports
// nothing). os.constants.signals lacks the signals Node has no name for (FreeBSD's SIGTHR 32 and SIGLIBRT 33),
// and Bun reports a child killed by such a signal with its number, so every name↔number mapping goes through
// here and never turns a death by signal into signal 0 / exit code 128.
import os from "node:os";

/** FreeBSD's numbers (sys/sys/signal.h), used on FreeBSD beside what os.constants knows. */
export const FREEBSD_SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGEMT: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGBUS: 10,
  SIGSEGV: 11,
  SIGSYS: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGURG: 16,
  SIGSTOP: 17,
  SIGTSTP: 18,
  SIGCONT: 19,
  SIGCHLD: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGIO: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGINFO: 29,
  SIGUSR1: 30,
  SIGUSR2: 31,
  SIGTHR: 32,
  SIGLIBRT: 33,
};

/** Second names a number already has a canonical name for. */
const ALIASES: Readonly<Record<string, string>> = {
  SIGIOT: "SIGABRT",
  SIGPOLL: "SIGIO",
  SIGCLD: "SIGCHLD",
  SIGLWP: "SIGTHR",
  SIGLOST: "SIGPWR",
};

/** The signal table of a platform: FreeBSD's own numbers there, then whatever the runtime knows. */
export function signalTable(
  platform: string = process.platform,
  known: Readonly<Record<string, number>> = os.constants.signals,
): Readonly<Record<string, number>> {
  return platform === "freebsd" ? { ...known, ...FREEBSD_SIGNALS } : { ...known };
}

const HOST_TABLE = signalTable();

/**
 * The number of a signal as Bun or a caller names it: a number (what Bun gives for a signal it has no name
 * for), a decimal string ("32"), or a name with or without SIG in any case. Undefined when it means nothing
 * on the host.
 */
export function signalNumber(signal: string | number, table: Readonly<Record<string, number>> = HOST_TABLE): number | undefined {
  if (typeof signal === "number") return Number.isInteger(signal) && signal > 0 ? signal : undefined;
  const text = signal.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) > 0 ? Number(text) : undefined;
  const upper = text.toUpperCase();
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return table[full] ?? table[ALIASES[full] ?? ""];
}

/** The host's canonical name for a signal number ("SIGTERM"); undefined when it has none. */
export function signalName(signal: number, table: Readonly<Record<string, number>> = HOST_TABLE): string | undefined {
  for (const [name, value] of Object.entries(table)) {
    if (value === signal && !(name in ALIASES)) return name;
  }
  return undefined;
}
