// Driver RPCs (plugin layer): each handler decodes the request, calls the driver core, encodes the answer.
// Errors go through status.ts only. Streams stay open until the client cancels (protocol.md §11 item 6).
import type * as grpc from "@grpc/grpc-js";
import type { PotDriver } from "../driver/driver";
import { log } from "../log/logger";
import { DriverService, type DriverServer } from "./gen/plugins/drivers/proto/driver";
import { capabilitiesToProto, fingerprintToProto } from "./convert";
import { toHclSpec } from "./hclspec";
import { unimplemented } from "./status";

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
        if (stopped) return;
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
    recoverTask(_call, callback) {
      callback(unimplemented("RecoverTask"));
    },
    startTask(_call, callback) {
      callback(unimplemented("StartTask"));
    },
    waitTask(_call, callback) {
      callback(unimplemented("WaitTask"));
    },
    stopTask(_call, callback) {
      callback(unimplemented("StopTask"));
    },
    destroyTask(_call, callback) {
      callback(unimplemented("DestroyTask"));
    },
    inspectTask(_call, callback) {
      callback(unimplemented("InspectTask"));
    },
    taskStats(call) {
      call.emit("error", unimplemented("TaskStats"));
    },
    taskEvents(call) {
      // Held open: events start flowing once the lifecycle lands; ending it would make Nomad re-call in a loop.
      call.on("cancelled", () => call.end());
    },
    signalTask(_call, callback) {
      callback(unimplemented("SignalTask"));
    },
    execTask(_call, callback) {
      callback(unimplemented("ExecTask"));
    },
    execTaskStreaming(call) {
      call.emit("error", unimplemented("ExecTaskStreaming"));
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

export function addDriverService(server: grpc.Server, driver: PotDriver): void {
  server.addService(DriverService, driverServer(driver));
}
