// Driver RPCs (plugin layer), read like Nomad's plugins/drivers/server.go: each unary handler decodes the
// request, calls the driver core and encodes the answer (unary.ts); errors go through status.ts only. Streams
// stay open until the client cancels (docs/protocol.md §9, trap 7).
import type { PotDriver } from "../driver/driver.ts";
import { DriverError } from "../driver/errors.ts";
import { log } from "../log/logger.ts";
import {
  capabilitiesToProto,
  durationToMs,
  eventToProto,
  execResponseToProto,
  fingerprintToProto,
  inspectResponseFromStatus,
  recoverRequestFromProto,
  startResponseToProto,
  taskSpecFromProto,
  taskStatsToProto,
  waitResponseFromOutcome,
} from "./convert.ts";
import type { DriverServer } from "./gen/plugins/drivers/proto/driver.ts";
import { toHclSpec } from "./hclspec.ts";
import { decodeCtyMsgpack } from "./msgpack.ts";
import { toServiceError, unimplemented } from "./status.ts";
import { unary } from "./unary.ts";

export function driverServer(driver: PotDriver): DriverServer {
  return {
    taskConfigSchema: unary("TaskConfigSchema", () => ({ spec: toHclSpec(driver.taskConfigSpec()) })),
    capabilities: unary("Capabilities", () => ({ capabilities: capabilitiesToProto(driver.capabilities()) })),
    fingerprint(call) {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stop = (): void => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
      call.on("cancelled", stop);
      call.on("error", stop);
      call.on("close", stop);
      const tick = async (): Promise<void> => {
        // call.cancelled also covers a cancel that came before this handler was loaded (src/app/deferred-services.ts).
        if (stopped || call.cancelled) return;
        try {
          call.write(fingerprintToProto(await driver.fingerprint()));
        } catch (err) {
          // A probe failing must not end the stream: Nomad would re-dispense in a tight loop.
          log.warn({ error: err }, "failed to fingerprint");
        }
        if (!stopped) timer = setTimeout(() => void tick(), driver.fingerprintPeriodMs());
      };
      void tick();
    },
    init: unary("Init", () => ({})),
    // Nomad calls this right before killing the plugin; tasks keep running, nothing to flush.
    shutdown: unary("Shutdown", () => ({})),
    recoverTask: unary("RecoverTask", async (request) => {
      const { task, handleVersion, driverState } = recoverRequestFromProto(request);
      await driver.recoverTask(task, handleVersion, driverState);
      return {};
    }),
    startTask: unary(
      "StartTask",
      async (request) => {
        const config = request.task;
        if (!config) throw new DriverError("invalid-argument", "StartTask without a task");
        const decoded = decodeCtyMsgpack(config.msgpackDriverConfig);
        if (!decoded.ok) throw new DriverError("invalid-config", `failed to decode driver config: ${decoded.error.message}`);
        return startResponseToProto(config, await driver.startTask(taskSpecFromProto(config), decoded.value));
      },
      { withRecoverable: true },
    ),
    // No deadline of our own: Nomad cancels the call when it stops caring (grpc-js drops an answer to it then).
    waitTask: unary("WaitTask", async (request) => waitResponseFromOutcome(await driver.waitTask(request.taskId))),
    stopTask: unary("StopTask", async (request) => {
      await driver.stopTask(request.taskId, durationToMs(request.timeout), request.signal);
      return {};
    }),
    destroyTask: unary("DestroyTask", async (request) => {
      await driver.destroyTask(request.taskId, request.force);
      return {};
    }),
    inspectTask: unary("InspectTask", (request) => inspectResponseFromStatus(driver.inspectTask(request.taskId))),
    taskStats(call) {
      const { taskId } = call.request;
      const intervalMs = Math.max(100, durationToMs(call.request.collectionInterval) || 1000);
      let unsubscribe: (() => void) | undefined;
      const finish = (): void => {
        unsubscribe?.();
        unsubscribe = undefined;
      };
      call.on("cancelled", finish);
      call.on("close", finish);
      // Cancelled before this handler was loaded (src/app/deferred-services.ts): those events have passed already.
      if (call.cancelled) return;
      try {
        unsubscribe = driver.taskStats(taskId, intervalMs, (usage, at) => {
          if (!driver.isRunning(taskId)) {
            // The task is gone: end the stream normally; Nomad stops asking once the task is dead.
            finish();
            call.end();
            return;
          }
          call.write(taskStatsToProto(taskId, usage, at, driver.mhzPerCore()));
        });
      } catch (err) {
        call.emit("error", toServiceError(err, { rpc: "TaskStats" }));
      }
    },
    taskEvents(call) {
      const unsubscribe = driver.events.subscribe((event) => {
        call.write(eventToProto(event));
      });
      const finish = (): void => {
        unsubscribe();
      };
      call.on("cancelled", () => {
        finish();
        call.end();
      });
      call.on("close", finish);
    },
    signalTask: unary("SignalTask", async (request) => {
      await driver.signalTask(request.taskId, request.signal);
      return {};
    }),
    execTask: unary("ExecTask", async (request) =>
      execResponseToProto(await driver.execTask(request.taskId, request.command, durationToMs(request.timeout))),
    ),
    execTaskStreaming(call) {
      // `nomad alloc exec` is rare: its code is loaded by the first session. The stream buffers requests
      // until exec-stream.ts listens.
      import("./exec-stream.ts").then(
        ({ serveExecStream }) => {
          // A session cancelled while its code loaded is not started.
          if (!call.cancelled) serveExecStream(driver, call);
        },
        (err: unknown) => call.emit("error", toServiceError(err, { rpc: "ExecTaskStreaming" })),
      );
    },
    // must_create_network is false: Nomad never calls these for this driver.
    createNetwork(_call, callback) {
      callback(unimplemented("CreateNetwork"));
    },
    destroyNetwork(_call, callback) {
      callback(unimplemented("DestroyNetwork"));
    },
  };
}
