// PotError, the single error class of the pot command layer (layer 3), and its closed set of kinds.

/**
 * What went wrong, as far as a caller needs to decide:
 * - "not-found": the pot does not exist, or (signal, exec, get-rss) its jail is not running;
 * - "already-exists": the pot, imported image or mount point to be created is already there;
 * - "locked": refused because of the pot's lifecycle status or a concurrent operation
 *   (already starting/stopping, not in a state where it can start/stop, running without -F);
 * - "bad-argument": pot rejected the arguments (usage text, getopts complaint, validation message),
 *   or our own builders refused a value pot would mangle;
 * - "failed": anything else, including a command that could not be spawned or output that did not parse;
 * - "timed-out": the call exceeded its deadline and the process group was killed.
 */
export type PotErrorKind = "not-found" | "already-exists" | "locked" | "bad-argument" | "failed" | "timed-out";

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

export class PotError extends Error {
  override readonly name = "PotError";
  readonly kind: PotErrorKind;
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly potErrors: readonly string[];
  readonly outputTail: string;
  readonly durationMs: number | undefined;

  constructor(message: string, details: PotErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
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
