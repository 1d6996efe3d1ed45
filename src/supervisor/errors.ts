// SupervisorError, the single error class of the supervisor layer (layer 4), and its closed set of kinds.

/**
 * What went wrong, as far as a caller needs to decide:
 * - "already-exists": a bundle for this task id is already on disk (launch never reuses one);
 * - "not-found": the bundle directory or its spec.json is missing;
 * - "invalid-bundle": a bundle file exists but does not parse, or names another version/identity;
 * - "launch-failed": the supervisor could not be spawned, or exited before it reported ready;
 * - "timed-out": the supervisor did not report ready within its named timeout (it has been killed).
 */
export type SupervisorErrorKind = "already-exists" | "not-found" | "invalid-bundle" | "launch-failed" | "timed-out";

export class SupervisorError extends Error {
  override readonly name = "SupervisorError";
  readonly kind: SupervisorErrorKind;
  /** The bundle directory concerned, when there is one. */
  readonly bundleDir: string | undefined;

  constructor(kind: SupervisorErrorKind, message: string, options: { bundleDir?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.bundleDir = options.bundleDir;
  }
}

/** True when `err` is a SupervisorError of one of the given kinds (any kind when none is given). */
export function isSupervisorError(err: unknown, ...kinds: SupervisorErrorKind[]): err is SupervisorError {
  return err instanceof SupervisorError && (kinds.length === 0 || kinds.includes(err.kind));
}
