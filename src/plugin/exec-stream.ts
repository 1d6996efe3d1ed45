// ExecTaskStreaming (plugin layer): `nomad alloc exec` over a bidi stream. The first request carries setup
// (task id, command, tty); later ones carry stdin data, stdin close, or a terminal size; a request with none
// of these is Nomad's heartbeat and is ignored. Output goes out as stdout/stderr chunks, then a close for each,
// then `exited` with the result, then the stream completes (docs/protocol.md §7.2).
import type * as grpc from "@grpc/grpc-js";
import type { PotDriver } from "../driver/driver.ts";
import { DriverError } from "../driver/errors.ts";
import type { ExecSession } from "../driver/ports.ts";
import { log } from "../log/logger.ts";
import type { ExecTaskStreamingRequest, ExecTaskStreamingResponse } from "./gen/plugins/drivers/proto/driver.ts";
import { toServiceError } from "./status.ts";

type ExecCall = grpc.ServerDuplexStream<ExecTaskStreamingRequest, ExecTaskStreamingResponse>;

const noIo = { data: Buffer.alloc(0), close: false };

export function serveExecStream(driver: PotDriver, call: ExecCall): void {
  let session: ExecSession | undefined;
  let finished = false;
  const pendingSize: { rows: number; cols: number } = { rows: 0, cols: 0 };
  const write = (message: Partial<ExecTaskStreamingResponse>): void => {
    if (finished) return;
    call.write({ stdout: undefined, stderr: undefined, exited: false, result: undefined, ...message });
  };
  const fail = (err: unknown): void => {
    if (finished) return;
    finished = true;
    session?.kill();
    call.emit("error", toServiceError(err, { rpc: "ExecTaskStreaming" }));
  };

  call.on("data", (request: ExecTaskStreamingRequest) => {
    if (!session) {
      if (!request.setup) {
        if (request.ttySize) {
          pendingSize.rows = request.ttySize.height;
          pendingSize.cols = request.ttySize.width;
          return;
        }
        fail(new DriverError("invalid-argument", "the first exec message must carry setup"));
        return;
      }
      try {
        const { taskId, command, tty } = request.setup;
        session = driver.startExecSession(taskId, command, {
          tty,
          rows: request.ttySize?.height ?? pendingSize.rows,
          cols: request.ttySize?.width ?? pendingSize.cols,
          onStdout: (data) => write({ stdout: { data: Buffer.from(data), close: false } }),
          onStderr: (data) => write({ stderr: { data: Buffer.from(data), close: false } }),
        });
        session.exited.then(
          (result) => {
            write({ stdout: { ...noIo, close: true } });
            write({ stderr: { ...noIo, close: true } });
            write({ exited: true, result: { exitCode: result.exitCode, signal: result.signal, oomKilled: false } });
            finished = true;
            call.end();
          },
          (err: unknown) => fail(err),
        );
      } catch (err) {
        fail(err);
      }
      return;
    }
    if (request.stdin) {
      if (request.stdin.data.length > 0) session.write(request.stdin.data);
      if (request.stdin.close) session.closeStdin();
    }
    if (request.ttySize && request.ttySize.height > 0 && request.ttySize.width > 0) {
      session.resize(request.ttySize.height, request.ttySize.width);
    }
  });
  call.on("end", () => {
    // The client half-closed: no more stdin.
    session?.closeStdin();
  });
  call.on("cancelled", () => {
    if (!finished) log.debug("exec stream cancelled by the client");
    finished = true;
    session?.kill();
  });
  call.on("error", () => {
    session?.kill();
  });
}
