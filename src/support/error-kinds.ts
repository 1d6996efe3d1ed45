// The one vocabulary of error kinds (support): PotError (pot/), SupervisorError (supervisor/) and DriverError
// (driver/) each carry a kind from this list, so a caller decides on the kind whatever layer raised the error.
// Each kind names what went wrong as far as a caller must decide; src/plugin/status.ts is the one place that
// turns a kind into a gRPC status code and into Nomad's recoverable flag. Imports nothing.

export type ErrorKind =
  /** The job's or the agent's configuration is wrong. */
  | "invalid-config"
  /**
   * An argument is wrong: of an RPC (an unknown signal name, an empty command), one pot rejected (usage text,
   * getopts complaint, validation message), or one our argv builders refuse because pot would mangle it.
   */
  | "invalid-argument"
  /** What the call names does not exist: a task this plugin does not know, a pot (or its jail), a bundle. */
  | "not-found"
  /** What the call would create is already there: a task id, a pot, an imported image, a bundle. */
  | "already-exists"
  /** The task is in a state that does not allow the call (destroying a running task, signalling an exited one). */
  | "failed-precondition"
  /** pot refused because of the pot's lifecycle status or a concurrent pot operation. */
  | "locked"
  /** The RPC is not implemented by this driver. */
  | "unimplemented"
  /** An operation failed and a retry may succeed (pot failed, a process could not be spawned). */
  | "failed"
  /** A bounded wait ran out; the process concerned has been killed. */
  | "timed-out"
  /** State stored on disk does not parse, or names another version or task (a task's bundle). */
  | "corrupt"
  /** Something that cannot happen did (pot created another pot than the one asked for). */
  | "internal";

/** The base of the layers' error classes: an Error with a kind, keeping its cause. */
export abstract class KindedError<K extends ErrorKind = ErrorKind> extends Error {
  readonly kind: K;

  constructor(kind: K, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.kind = kind;
  }
}
