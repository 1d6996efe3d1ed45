// The one error boundary of the plugin layer: any thrown value → a gRPC status Nomad understands.
//
// StartTask errors carry a google.rpc.Status in the `grpc-status-details-bin` trailer whose first detail is
// hashicorp.nomad.plugins.shared.structs.RecoverableError: Nomad's client turns that into a recoverable (or
// not) task error; without it every start failure is treated as unrecoverable (docs/protocol.md §7.3).
import * as grpc from "@grpc/grpc-js";
import { DriverError, type DriverErrorKind } from "../driver/errors.ts";
import { describeError, log } from "../log/logger.ts";
import { Any } from "./gen/google/protobuf/any.ts";
import { Status } from "./gen/google/rpc/status.ts";
import { RecoverableError } from "./gen/plugins/shared/structs/proto/recoverable_error.ts";

const RECOVERABLE_ERROR_TYPE_URL = "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError";

const CODE_BY_KIND: Record<DriverErrorKind, grpc.status> = {
  "invalid-config": grpc.status.INVALID_ARGUMENT,
  "invalid-argument": grpc.status.INVALID_ARGUMENT,
  "not-found": grpc.status.NOT_FOUND,
  "failed-precondition": grpc.status.FAILED_PRECONDITION,
  "already-exists": grpc.status.ALREADY_EXISTS,
  unimplemented: grpc.status.UNIMPLEMENTED,
  failed: grpc.status.UNKNOWN,
  "timed-out": grpc.status.DEADLINE_EXCEEDED,
  internal: grpc.status.INTERNAL,
};

export interface StatusOptions {
  /** Attach the RecoverableError detail (StartTask). */
  withRecoverable?: boolean;
  /** RPC name, for the log line of unexpected errors. */
  rpc?: string;
}

/** Converts anything thrown by the driver core into a grpc-js service error. */
export function toServiceError(err: unknown, options: StatusOptions = {}): grpc.ServiceError {
  const driverError = err instanceof DriverError ? err : undefined;
  if (!driverError) {
    log.error({ rpc: options.rpc, error: err }, "unexpected error in rpc");
  }
  const message = describeError(err);
  const code = options.withRecoverable
    ? grpc.status.FAILED_PRECONDITION
    : driverError
      ? CODE_BY_KIND[driverError.kind]
      : grpc.status.INTERNAL;
  const metadata = new grpc.Metadata();
  if (options.withRecoverable) {
    const recoverable = driverError?.recoverable ?? false;
    const detail = Any.fromPartial({
      typeUrl: RECOVERABLE_ERROR_TYPE_URL,
      value: Buffer.from(RecoverableError.encode({ recoverable }).finish()),
    });
    const status = Status.encode({ code, message, details: [detail] }).finish();
    metadata.set("grpc-status-details-bin", Buffer.from(status));
  }
  const serviceError = Object.assign(new Error(message), { code, details: message, metadata });
  return serviceError as grpc.ServiceError;
}

/** The error every lifecycle RPC returns until it is implemented: explicit, never a fake success. */
export function unimplemented(rpc: string): grpc.ServiceError {
  return toServiceError(new DriverError("unimplemented", `${rpc} is not implemented by the pot driver`), { rpc });
}
