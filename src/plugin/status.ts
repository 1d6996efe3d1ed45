// The one error boundary of the plugin layer: any thrown value → a gRPC status Nomad understands. The errors of
// every layer carry a kind from one vocabulary (src/support/error-kinds.ts); this file is the one place that
// says which gRPC code each kind is and whether Nomad may retry a start that failed with it.
//
// StartTask errors carry a google.rpc.Status in the `grpc-status-details-bin` trailer whose first detail is
// hashicorp.nomad.plugins.shared.structs.RecoverableError: Nomad's client turns that into a recoverable (or
// not) task error; without it every start failure is treated as unrecoverable (docs/protocol.md §7.3).
import * as grpc from "@grpc/grpc-js";
import { DriverError } from "../driver/errors.ts";
import { describeError, log } from "../log/logger.ts";
import { type ErrorKind, KindedError } from "../support/error-kinds.ts";
import { Any } from "./gen/google/protobuf/any.ts";
import { Status } from "./gen/google/rpc/status.ts";
import { RecoverableError } from "./gen/plugins/shared/structs/proto/recoverable_error.ts";

const RECOVERABLE_ERROR_TYPE_URL = "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError";

/** The status code of each kind (StartTask answers every failure with FAILED_PRECONDITION and the detail). */
const CODE_BY_KIND: Record<ErrorKind, grpc.status> = {
  "invalid-config": grpc.status.INVALID_ARGUMENT,
  "invalid-argument": grpc.status.INVALID_ARGUMENT,
  "not-found": grpc.status.NOT_FOUND,
  "already-exists": grpc.status.ALREADY_EXISTS,
  "failed-precondition": grpc.status.FAILED_PRECONDITION,
  locked: grpc.status.FAILED_PRECONDITION,
  unimplemented: grpc.status.UNIMPLEMENTED,
  failed: grpc.status.UNKNOWN,
  "timed-out": grpc.status.DEADLINE_EXCEEDED,
  corrupt: grpc.status.DATA_LOSS,
  internal: grpc.status.INTERNAL,
};

/**
 * Whether a start that failed this way may succeed when Nomad's restart policy tries again: yes when pot or a
 * process failed, timed out or was busy, or what pot needed was missing; no when the job, the agent's config or
 * the host's state is wrong, or the task id is taken.
 */
const RECOVERABLE_BY_KIND: Record<ErrorKind, boolean> = {
  "invalid-config": false,
  "invalid-argument": false,
  "not-found": true,
  "already-exists": false,
  "failed-precondition": false,
  locked: true,
  unimplemented: false,
  failed: true,
  "timed-out": true,
  corrupt: false,
  internal: false,
};

/** The kind of an error raised by any layer; undefined for anything else (a bug, or a library's error). */
function kindOf(err: unknown): ErrorKind | undefined {
  return err instanceof KindedError ? err.kind : undefined;
}

/** The gRPC status code for an error; INTERNAL for an error without a kind. */
export function statusCode(err: unknown): grpc.status {
  const kind = kindOf(err);
  return kind === undefined ? grpc.status.INTERNAL : CODE_BY_KIND[kind];
}

/** Whether Nomad may retry a start that failed with this error; an error without a kind is not retried. */
export function isRecoverable(err: unknown): boolean {
  const kind = kindOf(err);
  return kind === undefined ? false : RECOVERABLE_BY_KIND[kind];
}

export interface StatusOptions {
  /** Attach the RecoverableError detail (StartTask). */
  withRecoverable?: boolean;
  /** RPC name, for the log line of unexpected errors. */
  rpc?: string;
}

/** Converts anything thrown by the driver core into a grpc-js service error. */
export function toServiceError(err: unknown, options: StatusOptions = {}): grpc.ServiceError {
  if (kindOf(err) === undefined) {
    log.error({ rpc: options.rpc, error: err }, "unexpected error in rpc");
  }
  const message = describeError(err);
  const code = options.withRecoverable ? grpc.status.FAILED_PRECONDITION : statusCode(err);
  const metadata = new grpc.Metadata();
  if (options.withRecoverable) {
    const detail = Any.fromPartial({
      typeUrl: RECOVERABLE_ERROR_TYPE_URL,
      value: Buffer.from(RecoverableError.encode({ recoverable: isRecoverable(err) }).finish()),
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
