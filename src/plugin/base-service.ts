// BasePlugin RPCs (plugin layer): decode → driver core → encode. PluginInfo/ConfigSchema/SetConfig are called
// by the agent's loader in throw-away processes, so they are fast and create nothing on disk.
import type * as grpc from "@grpc/grpc-js";
import type { PotDriver } from "../driver/driver";
import { DriverError } from "../driver/errors";
import { BasePluginService, type BasePluginServer, PluginType } from "./gen/plugins/base/proto/base";
import { toHclSpec } from "./hclspec";
import { decodeCtyMsgpack } from "./msgpack";
import { toServiceError } from "./status";

/** Nomad's only driver API version (plugins/drivers/versions.go ApiVersion010). */
export const PLUGIN_API_VERSIONS = ["v0.1.0"];

export function basePluginServer(driver: PotDriver): BasePluginServer {
  return {
    pluginInfo(_call, callback) {
      callback(null, {
        type: PluginType.DRIVER,
        pluginApiVersions: PLUGIN_API_VERSIONS,
        pluginVersion: driver.version,
        name: driver.name,
      });
    },
    configSchema(_call, callback) {
      callback(null, { spec: toHclSpec(driver.pluginConfigSpec()) });
    },
    setConfig(call, callback) {
      try {
        const bytes = call.request.msgpackConfig;
        const decoded = bytes.length === 0 ? { ok: true as const, value: {} } : decodeCtyMsgpack(bytes);
        if (!decoded.ok) {
          throw new DriverError("invalid-config", `failed to decode plugin config: ${decoded.error.message}`);
        }
        const nomadDriver = call.request.nomadConfig?.driver;
        driver.setConfig(decoded.value, {
          clientMinPort: nomadDriver?.ClientMinPort ?? 0,
          clientMaxPort: nomadDriver?.ClientMaxPort ?? 0,
          fromAgent: call.request.nomadConfig !== undefined,
        });
        callback(null, {});
      } catch (err) {
        callback(toServiceError(err, { rpc: "SetConfig" }));
      }
    },
  };
}

export function addBasePluginService(server: grpc.Server, driver: PotDriver): void {
  server.addService(BasePluginService, basePluginServer(driver));
}
