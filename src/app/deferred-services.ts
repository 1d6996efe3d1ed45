// Registering the BasePlugin and Driver services before their code is loaded (wiring).
//
// The handshake line needs only a listening server with every service registered; the handlers, the driver
// core behind them and its validators are loaded by the first call (or by `preload()` once the line is out),
// so the plugin announces itself at the start-up cost of its gRPC runtime alone.
import type * as grpc from "@grpc/grpc-js";
import type { PotDriver } from "../driver/driver.ts";
import { describeError, log } from "../log/logger.ts";
import { BasePluginService } from "../plugin/gen/plugins/base/proto/base.ts";
import { DriverService } from "../plugin/gen/plugins/drivers/proto/driver.ts";

/** Code 13 (INTERNAL) without importing grpc-js's enum into this module's start-up. */
const INTERNAL = 13;

export interface DeferredServices {
  /** Starts loading the handlers (idempotent); the first RPC waits for the same load. */
  preload(): Promise<void>;
}

/**
 * Adds BasePlugin and Driver to `server` with handlers that load base-service.ts and driver-service.ts (and,
 * through `loadDriver`, the driver core) once, then pass every call on unchanged.
 */
export function addDeferredPluginServices(server: grpc.Server, loadDriver: () => Promise<PotDriver>): DeferredServices {
  let loading: Promise<{ base: grpc.UntypedServiceImplementation; driver: grpc.UntypedServiceImplementation }> | undefined;
  const load = () => {
    loading ??= (async () => {
      const [driver, { basePluginServer }, { driverServer }] = await Promise.all([
        loadDriver(),
        import("../plugin/base-service.ts"),
        import("../plugin/driver-service.ts"),
      ]);
      return {
        base: basePluginServer(driver) as unknown as grpc.UntypedServiceImplementation,
        driver: driverServer(driver) as unknown as grpc.UntypedServiceImplementation,
      };
    })();
    return loading;
  };
  server.addService(
    BasePluginService,
    deferred(BasePluginService, async () => (await load()).base),
  );
  server.addService(
    DriverService,
    deferred(DriverService, async () => (await load()).driver),
  );
  return {
    preload: async () => {
      await load();
    },
  };
}

type AnyHandler = (call: unknown, callback?: (err: unknown, value?: unknown) => void) => void;

/** One handler per method of `definition` that awaits `load()` and then calls the loaded handler of that name. */
export function deferred(
  definition: grpc.ServiceDefinition,
  load: () => Promise<grpc.UntypedServiceImplementation>,
): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler: AnyHandler = (call, callback) => {
      load().then(
        (implementation) => (implementation[name] as unknown as AnyHandler)(call, callback),
        (err: unknown) => {
          log.error({ error: err, method: method.path }, "failed to load the plugin's handlers");
          const status = { code: INTERNAL, details: `failed to load the plugin's handlers: ${describeError(err)}` };
          // Unary and client-streaming calls answer through the callback; streams through an error event.
          if (callback !== undefined) callback(status);
          else (call as { emit: (event: string, err: unknown) => void }).emit("error", status);
        },
      );
    };
    handlers[name] = handler as grpc.UntypedHandleCall;
  }
  return handlers;
}
