// Signal names (driver layer): what Nomad may send (Go's signal names, e.g. "SIGHUP") checked against the
// names FreeBSD's kill(1) and pot's `signal -s` understand. Unknown names are an error, never a fallback.
import { FREEBSD_SIGNALS } from "../support/signals.ts";

/**
 * FreeBSD's signals (src/support/signals.ts) without SIGTHR and SIGLIBRT, which its thread and realtime libraries
 * keep for themselves.
 */
const SENDABLE = new Set(Object.keys(FREEBSD_SIGNALS).filter((name) => name !== "SIGTHR" && name !== "SIGLIBRT"));

/** pot stop and jail(8) end a jail with SIGTERM; a job without kill_signal gets the same. */
export const DEFAULT_KILL_SIGNAL = "SIGTERM";

/** Normalises "hup", "SIGHUP", "sighup" to "SIGHUP"; null when FreeBSD has no such signal. */
export function normalizeSignal(name: string): string | null {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  if (full === "SIGIOT") return "SIGABRT";
  return SENDABLE.has(full) ? full : null;
}
