// A unary RPC handler from one function (plugin layer): `answer` decodes the request, calls the driver core and
// encodes the response, as each method of Nomad's plugins/drivers/server.go does; whatever it throws or rejects
// with becomes the call's gRPC status through status.ts, the one error boundary.
import type * as grpc from "@grpc/grpc-js";
import { type StatusOptions, toServiceError } from "./status.ts";

export function unary<Req, Res>(
  rpc: string,
  answer: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
  options: Omit<StatusOptions, "rpc"> = {},
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const fail = (err: unknown): void => callback(toServiceError(err, { ...options, rpc }));
    let result: Res | Promise<Res>;
    try {
      result = answer(call.request, call);
    } catch (err) {
      fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then((response) => callback(null, response), fail);
    } else {
      callback(null, result);
    }
  };
}
