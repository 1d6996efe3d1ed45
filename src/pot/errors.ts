// PotError, the single error class of the pot command layer (layer 3), and the kinds it takes from the shared
// vocabulary (src/support/error-kinds.ts).
import { type ErrorKind, KindedError } from "../support/error-kinds.ts";

/**
 * What went wrong with a pot call:
 * - "not-found": the pot does not exist, or (signal, exec, get-rss) its jail is not running;
 * - "already-exists": the pot, imported image or mount point to be created is already there;
 * - "locked": refused because of the pot's lifecycle status or a concurrent operation
 *   (already starting/stopping, not in a state where it can start/stop, running without -F);
 * - "invalid-argument": pot rejected the arguments (usage text, getopts complaint, validation message),
 *   or our own builders refused a value pot would mangle;
 * - "failed": anything else, including a command that could not be spawned or output that did not parse;
 * - "timed-out": the call exceeded its deadline and the process group was killed.
 */
export type PotErrorKind = Extract<ErrorKind, "not-found" | "already-exists" | "locked" | "invalid-argument" | "failed" | "timed-out">;

export interface PotErrorDetails {
  kind: PotErrorKind;
  /** Full argv of the pot invocation (pot path first); for a refused argument, the argv that was being built. */
  argv: readonly string[];
  /** Exit status; null when the process was killed by a signal, timed out, or never ran. */
  exitCode: number | null;
  /** Signal name when the process was killed by one. */
  signal?: string | null;
  /** pot's own error lines (`###>  text`), prefix removed, in output order. */
  potErrors?: readonly string[];
  /** Last lines of stderr followed by the last lines of stdout, for relaying verbatim. */
  outputTail?: string;
  durationMs?: number;
  cause?: unknown;
}

export class PotError extends KindedError<PotErrorKind> {
  override readonly name = "PotError";
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly potErrors: readonly string[];
  readonly outputTail: string;
  readonly durationMs: number | undefined;

  constructor(message: string, details: PotErrorDetails) {
    super(details.kind, message, details.cause);
    this.argv = details.argv;
    this.exitCode = details.exitCode;
    this.signal = details.signal ?? null;
    this.potErrors = details.potErrors ?? [];
    this.outputTail = details.outputTail ?? "";
    this.durationMs = details.durationMs;
  }
}

/** True when `err` is a PotError of one of the given kinds. */
export function isPotError(err: unknown, ...kinds: PotErrorKind[]): err is PotError {
  return err instanceof PotError && (kinds.length === 0 || kinds.includes(err.kind));
}
