// Reading the RecoverableError detail a StartTask error carries (docs/protocol.md §7.3): a google.rpc.Status in the
// grpc-status-details-bin trailer whose first detail is Nomad's RecoverableError.
import type * as grpc from "@grpc/grpc-js";
import { Status } from "../../src/plugin/gen/google/rpc/status.ts";
import { RecoverableError } from "../../src/plugin/gen/plugins/shared/structs/proto/recoverable_error.ts";

const RECOVERABLE_TYPE_URL = "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError";

/** The detail, decoded with the Status carrying it; undefined when the error has none, a throw when it is another type. */
export function recoverableDetail(err: grpc.ServiceError): { status: Status; recoverable: boolean } | undefined {
  const raw = err.metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined) return undefined;
  const status = Status.decode(typeof raw === "string" ? Buffer.from(raw, "binary") : raw);
  const detail = status.details[0];
  if (detail?.typeUrl !== RECOVERABLE_TYPE_URL) throw new Error(`unexpected first detail ${detail?.typeUrl}`);
  return { status, recoverable: RecoverableError.decode(detail.value).recoverable };
}

/** Whether a StartTask error carries the RecoverableError detail with recoverable = true. */
export function isRecoverable(err: grpc.ServiceError): boolean {
  return recoverableDetail(err)?.recoverable === true;
}
