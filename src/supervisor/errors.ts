// SupervisorError, the single error class of the supervisor layer (layer 4), and the kinds it takes from the
// shared vocabulary (src/support/error-kinds.ts).
import { type ErrorKind, KindedError } from "../support/error-kinds.ts";

/**
 * What went wrong with a task's bundle or supervisor:
 * - "already-exists": a bundle for this task id is already on disk (launch never reuses one);
 * - "not-found": the bundle directory or its spec.json is missing;
 * - "corrupt": a bundle file exists but does not parse, or names another version/identity;
 * - "failed": the supervisor could not be spawned, or exited before it reported ready;
 * - "timed-out": the supervisor did not report ready within its named timeout (it has been killed).
 */
export type SupervisorErrorKind = Extract<ErrorKind, "already-exists" | "not-found" | "corrupt" | "failed" | "timed-out">;

export class SupervisorError extends KindedError<SupervisorErrorKind> {
  override readonly name = "SupervisorError";
  /** The bundle directory concerned, when there is one. */
  readonly bundleDir: string | undefined;

  constructor(kind: SupervisorErrorKind, message: string, options: { bundleDir?: string; cause?: unknown } = {}) {
    super(kind, message, options.cause);
    this.bundleDir = options.bundleDir;
  }
}
