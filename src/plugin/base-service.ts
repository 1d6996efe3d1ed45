// BasePlugin RPCs (plugin layer): decode → driver core → encode. PluginInfo/ConfigSchema/SetConfig are called
// by the agent's loader in throw-away processes, so they are fast and create nothing on disk.
import type { PotDriver } from "../driver/driver.ts";
import { DriverError } from "../driver/errors.ts";
import { type BasePluginServer, type ClientTopology, PluginType } from "./gen/plugins/base/proto/base.ts";
import { toHclSpec } from "./hclspec.ts";
import { decodeCtyMsgpack } from "./msgpack.ts";
import { unary } from "./unary.ts";

/** Nomad's only driver API version (plugins/drivers/versions.go ApiVersion010). */
export const PLUGIN_API_VERSIONS = ["v0.1.0"];

export function basePluginServer(driver: PotDriver): BasePluginServer {
  return {
    pluginInfo: unary("PluginInfo", () => ({
      type: PluginType.DRIVER,
      pluginApiVersions: PLUGIN_API_VERSIONS,
      pluginVersion: driver.version,
      name: driver.name,
    })),
    configSchema: unary("ConfigSchema", () => ({ spec: toHclSpec(driver.pluginConfigSpec()) })),
    setConfig: unary("SetConfig", (request) => {
      const bytes = request.msgpackConfig;
      const decoded = bytes.length === 0 ? { ok: true as const, value: {} } : decodeCtyMsgpack(bytes);
      if (!decoded.ok) {
        throw new DriverError("invalid-config", `failed to decode plugin config: ${decoded.error.message}`);
      }
      driver.setConfig(decoded.value, { mhzPerCore: averageCoreMhz(request.nomadConfig?.driver?.Topology) });
      return {};
    }),
  };
}

/**
 * MHz of one core as Nomad counts compute. An agent with `cpu_total_compute` set (Nomad ≥ 1.7 sends it as the
 * topology's override_total_compute) means that total over all its cores, disabled ones included, as Nomad's
 * Topology.TotalCompute does; otherwise the average usable core speed (base, else max, else guessed).
 * 0 when the agent sent no topology.
 */
export function averageCoreMhz(topology: ClientTopology | undefined): number {
  const all = topology?.cores ?? [];
  if (topology !== undefined && topology.overrideTotalCompute > 0n && all.length > 0) {
    return Number(topology.overrideTotalCompute) / all.length;
  }
  const cores = all.filter((c) => !c.disable);
  if (cores.length === 0) return 0;
  const speeds = cores.map((c) => Number(c.baseSpeed > 0n ? c.baseSpeed : c.maxSpeed > 0n ? c.maxSpeed : c.guessSpeed));
  return speeds.reduce((a, b) => a + b, 0) / cores.length;
}
