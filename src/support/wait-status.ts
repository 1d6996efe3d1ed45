// How a process ended, in Nomad's convention (support layer: used by pot/, supervisor/ and driver/; imports only
// signals.ts). Nomad's executor reports a task killed by signal N as exit code 128+N with the signal beside it;
// so do we, whether the end comes from a shell's `$?` (the supervisor's record, pot's last-run-stats) or from a
// child Bun reaped.
import { signalNumber } from "./signals.ts";

/** How a process ended. `signal` is 0 when it exited by itself. */
export interface ExitStatus {
  exitCode: number;
  signal: number;
}

const SIGNAL_BASE = 128;

/**
 * Highest signal number a shell status can mean on each platform. FreeBSD numbers its classic signals up to
 * SIGLIBRT = 33 and its realtime signals from 65; Linux uses 1…64. Realtime signals above these never come from
 * a `kill` an operator would send, and treating their statuses as codes keeps 255 and friends plain codes.
 */
export const FREEBSD_MAX_SHELL_SIGNAL = 33;
export const LINUX_MAX_SHELL_SIGNAL = 64;

/** The highest shell signal of the running host (FreeBSD's when the host is neither FreeBSD nor Linux). */
export const HOST_MAX_SHELL_SIGNAL = process.platform === "linux" ? LINUX_MAX_SHELL_SIGNAL : FREEBSD_MAX_SHELL_SIGNAL;

/**
 * Decodes a POSIX shell's `$?` after a foreground command: 0…128 is the exit code; 128+N with 1 ≤ N ≤ maxSignal
 * is death by signal N. sh cannot tell a program that called exit(128+N) from one killed by signal N; both
 * decode as the signal, which changes nothing in the exit code Nomad sees. Values outside 0…255 are
 * impossible from sh and are kept as plain codes.
 */
export function fromShellStatus(status: number, maxSignal: number = HOST_MAX_SHELL_SIGNAL): ExitStatus {
  const signal = status - SIGNAL_BASE;
  if (Number.isInteger(status) && signal >= 1 && signal <= maxSignal) {
    return { exitCode: status, signal };
  }
  return { exitCode: status, signal: 0 };
}

/** Exit code for a death by a signal the host can neither name nor number (never 0, never a bare 128). */
export const UNKNOWN_SIGNAL_EXIT = 255;

/** A death by signal N (a number, or a name as Bun gives it): exit code 128+N with signal N. */
export function exitOfSignal(signal: string | number): ExitStatus {
  const number = signalNumber(signal);
  return number === undefined ? { exitCode: UNKNOWN_SIGNAL_EXIT, signal: 0 } : { exitCode: SIGNAL_BASE + number, signal: number };
}

/**
 * Decodes a Bun/Node child's end (`exitCode`, `signalCode` as a name or number): exactly one is non-null once
 * it has ended. A signal without a name (FreeBSD's SIGTHR, SIGLIBRT) still gives its number; only a name the
 * host does not know at all leaves signal 0, and then the exit code is 255, never 0 or 128.
 */
export function fromChildExit(exitCode: number | null, signalCode: string | number | null): ExitStatus {
  if (signalCode !== null) return exitOfSignal(signalCode);
  return { exitCode: exitCode ?? SIGNAL_BASE, signal: 0 };
}
