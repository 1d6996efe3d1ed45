// PotDriver (driver layer): the driver core behind the Driver and BasePlugin services; one short method per
// RPC. Domain types only: no protobuf, no process spawning (that lives in pot/ and supervisor/).
import { access, constants } from "node:fs/promises";
import { VERSION } from "../version";
import { CAPABILITIES, type DriverCapabilities } from "./capabilities";
import { formatConfigIssues, type SpecNode } from "./config-schema";
import { DriverError } from "./errors";
import { computeFingerprint, type Fingerprint } from "./fingerprint";
import { defaultPluginConfig, pluginConfigSpec, type PluginConfig, validatePluginConfig } from "./plugin-config";
import { taskConfigSpec } from "./task-config";

/** The job-facing driver name (`driver = "pot"`), independent of the binary's file name. */
export const DRIVER_NAME = "pot";

/** What Nomad tells a plugin about the agent in SetConfig (absent during the loader's validation pass). */
export interface AgentInfo {
  clientMinPort: number;
  clientMaxPort: number;
  fromAgent: boolean;
}

export interface PotDriverDeps {
  /** Runs `pot version -q` with the configured pot; injected so the core never spawns. */
  potVersion: (potPath: string) => Promise<string>;
}

export class PotDriver {
  readonly name = DRIVER_NAME;
  readonly version = VERSION;
  private config: PluginConfig = defaultPluginConfig();

  constructor(private readonly deps: PotDriverDeps) {}

  pluginConfigSpec(): SpecNode {
    return pluginConfigSpec();
  }

  taskConfigSpec(): SpecNode {
    return taskConfigSpec();
  }

  /**
   * Validates and adopts the agent's plugin config. Called by the loader's validation process (twice, without
   * agent info) and by the serving process; side-effect free apart from remembering the config.
   */
  setConfig(decoded: unknown, _agent: AgentInfo): void {
    const result = validatePluginConfig(decoded);
    if (!result.ok) {
      throw new DriverError("invalid-config", `invalid plugin config: ${formatConfigIssues(result.issues)}`);
    }
    this.config = result.config;
  }

  pluginConfig(): PluginConfig {
    return this.config;
  }

  capabilities(): DriverCapabilities {
    return CAPABILITIES;
  }

  fingerprintPeriodMs(): number {
    return this.config.fingerprintPeriodMs;
  }

  fingerprint(): Promise<Fingerprint> {
    const { enabled, potPath } = this.config;
    return computeFingerprint({
      enabled,
      potPath,
      driverVersion: this.version,
      potPresent: () => isExecutable(potPath),
      potVersion: () => this.deps.potVersion(potPath),
    });
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
