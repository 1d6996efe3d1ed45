// DriverError (driver layer): the one error type the driver core raises, with a closed set of kinds.
export type DriverErrorKind =
  /** The job's or agent's configuration is wrong; retrying cannot help. */
  | "invalid-config"
  /** An argument of the RPC is wrong (unknown signal name, empty command). */
  | "invalid-argument"
  /** No task with that id is known to this plugin. */
  | "not-found"
  /** The task is in a state that does not allow the call (destroying a running task). */
  | "failed-precondition"
  /** A task with that id is already running. */
  | "already-exists"
  /** The RPC is not implemented by this driver. */
  | "unimplemented"
  /** An operation failed; a retry may succeed (pot failed, image fetch failed). */
  | "failed"
  /** A bounded wait ran out. */
  | "timed-out"
  /** State was lost or contradicts itself. */
  | "internal";

export interface DriverErrorOptions {
  cause?: unknown;
  /** For StartTask: whether Nomad's restart policy should retry. Defaults by kind. */
  recoverable?: boolean;
}

export class DriverError extends Error {
  readonly kind: DriverErrorKind;
  readonly recoverable: boolean;

  constructor(kind: DriverErrorKind, message: string, options: DriverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DriverError";
    this.kind = kind;
    this.recoverable = options.recoverable ?? (kind === "failed" || kind === "timed-out");
  }
}
