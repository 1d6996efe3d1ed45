// Driver RPCs (plugin layer): each handler decodes the request, calls the driver core, encodes the answer.
// Errors go through status.ts only. Streams stay open until the client cancels (docs/protocol.md §9, trap 7).
import type { PotDriver } from "../driver/driver.ts";
import { log } from "../log/logger.ts";
import { DriverError } from "../driver/errors.ts";
import { type DriverServer, StartTaskResponse_Result, TaskConfig, TaskState } from "./gen/plugins/drivers/proto/driver.ts";
import {
  capabilitiesToProto,
  durationToMs,
  eventToProto,
  fingerprintToProto,
  inspectResponseFromStatus,
  networkOverrideToProto,
  taskSpecFromProto,
  taskStatsToProto,
  waitResponseFromOutcome,
} from "./convert.ts";
import { toHclSpec } from "./hclspec.ts";
import { decodeCtyMsgpack } from "./msgpack.ts";
import { toServiceError, unimplemented } from "./status.ts";

function emptyTaskConfig(): TaskConfig {
  return TaskConfig.fromPartial({});
}

export function driverServer(driver: PotDriver): DriverServer {
  return {
    taskConfigSchema(_call, callback) {
      callback(null, { spec: toHclSpec(driver.taskConfigSpec()) });
    },
    capabilities(_call, callback) {
      callback(null, { capabilities: capabilitiesToProto(driver.capabilities()) });
    },
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
    init(_call, callback) {
      callback(null, {});
    },
    shutdown(_call, callback) {
      // Nomad calls this right before killing the plugin; tasks keep running, nothing to flush.
      callback(null, {});
    },
    recoverTask(call, callback) {
      const handle = call.request.handle;
      const spec = taskSpecFromProto(handle?.config ?? emptyTaskConfig());
      if (call.request.taskId !== "" && spec.taskId === "") spec.taskId = call.request.taskId;
      driver.recoverTask(spec, handle?.version ?? 0, handle?.driverState ?? new Uint8Array()).then(
        () => callback(null, {}),
        (err: unknown) => callback(toServiceError(err, { rpc: "RecoverTask" })),
      );
    },
    startTask(call, callback) {
      const config = call.request.task;
      if (!config) {
        callback(
          toServiceError(new DriverError("invalid-argument", "StartTask without a task"), { rpc: "StartTask", withRecoverable: true }),
        );
        return;
      }
      const decoded = decodeCtyMsgpack(config.msgpackDriverConfig);
      if (!decoded.ok) {
        const err = new DriverError("invalid-config", `failed to decode driver config: ${decoded.error.message}`);
        callback(toServiceError(err, { rpc: "StartTask", withRecoverable: true }));
        return;
      }
      driver.startTask(taskSpecFromProto(config), decoded.value).then(
        (started) =>
          callback(null, {
            result: StartTaskResponse_Result.SUCCESS,
            driverErrorMsg: "",
            handle: {
              version: started.handleVersion,
              config,
              state: TaskState.RUNNING,
              driverState: Buffer.from(started.driverState),
            },
            networkOverride: networkOverrideToProto(started.network),
          }),
        (err: unknown) => callback(toServiceError(err, { rpc: "StartTask", withRecoverable: true })),
      );
    },
    waitTask(call, callback) {
      // No deadline of our own: Nomad cancels the call when it stops caring.
      driver.waitTask(call.request.taskId).then(
        (outcome) => {
          if (!call.cancelled) callback(null, waitResponseFromOutcome(outcome));
        },
        (err: unknown) => callback(toServiceError(err, { rpc: "WaitTask" })),
      );
    },
    stopTask(call, callback) {
      const { taskId, signal } = call.request;
      driver.stopTask(taskId, durationToMs(call.request.timeout), signal).then(
        () => callback(null, {}),
        (err: unknown) => callback(toServiceError(err, { rpc: "StopTask" })),
      );
    },
    destroyTask(call, callback) {
      driver.destroyTask(call.request.taskId, call.request.force).then(
        () => callback(null, {}),
        (err: unknown) => callback(toServiceError(err, { rpc: "DestroyTask" })),
      );
    },
    inspectTask(call, callback) {
      try {
        callback(null, inspectResponseFromStatus(driver.inspectTask(call.request.taskId)));
      } catch (err) {
        callback(toServiceError(err, { rpc: "InspectTask" }));
      }
    },
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
    signalTask(call, callback) {
      driver.signalTask(call.request.taskId, call.request.signal).then(
        () => callback(null, {}),
        (err: unknown) => callback(toServiceError(err, { rpc: "SignalTask" })),
      );
    },
    execTask(call, callback) {
      const { taskId, command } = call.request;
      driver.execTask(taskId, command, durationToMs(call.request.timeout)).then(
        (out) =>
          callback(null, {
            stdout: Buffer.from(out.stdout),
            stderr: Buffer.from(out.stderr),
            result: { exitCode: out.exitCode, signal: out.signal, oomKilled: false },
          }),
        (err: unknown) => callback(toServiceError(err, { rpc: "ExecTask" })),
      );
    },
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
