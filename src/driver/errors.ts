// DriverError (driver layer): the error the driver core raises, with a kind from the shared vocabulary
// (src/support/error-kinds.ts). A failure of pot or of the supervisor that the driver passes on keeps that
// error as its cause and, where the caller's answer depends on it, its kind. src/plugin/status.ts decides the
// gRPC code and whether Nomad may retry from the kind alone.
import { type ErrorKind, KindedError } from "../support/error-kinds.ts";

export class DriverError extends KindedError {
  override readonly name = "DriverError";

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(kind, message, options.cause);
  }
}
