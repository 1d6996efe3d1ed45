// Which paths the doctor checks (cli layer, pure): command line, then the agent's configuration, then defaults.
import { defaultPluginConfig } from "../driver/plugin-config.ts";
import type { AgentConfigFile, Setting } from "./doctor-checks.ts";
import { PLUGIN_NAMES } from "./doctor-checks.ts";
import { nomadArgsPaths, type RcAssignment } from "./rc-conf.ts";

/** Where the FreeBSD packages put Nomad's configuration and its external plugins. */
export const DEFAULT_AGENT_CONFIG_DIR = "/usr/local/etc/nomad";
export const DEFAULT_PLUGIN_DIR = "/usr/local/libexec/nomad/plugins";
/** The files rc(8) reads for a service, in order (rc.conf(5); rc.conf.d/<name> via load_rc_config). */
export const DEFAULT_RC_CONF_FILES = ["/etc/rc.conf", "/etc/rc.conf.local", "/etc/rc.conf.d/nomad"] as const;

export interface DoctorFlags {
  potPath?: string;
  stateDir?: string;
  pluginDir?: string;
  agentConfigs?: readonly string[];
  rcConf?: string;
}

/** rc.conf files to read: the flag's one file, else the defaults. */
export function rcConfFiles(flags: DoctorFlags): string[] {
  return flags.rcConf !== undefined ? [flags.rcConf] : [...DEFAULT_RC_CONF_FILES];
}

/** Agent configuration paths (files or directories): the flag's, else nomad_args' `-config`, else the default dir. */
export function agentConfigPaths(flags: DoctorFlags, rcVars: ReadonlyMap<string, RcAssignment>): Setting[] {
  if (flags.agentConfigs !== undefined && flags.agentConfigs.length > 0) {
    return flags.agentConfigs.map((value) => ({ value, source: "flag" }));
  }
  const args = rcVars.get("nomad_args");
  const fromArgs = args === undefined ? [] : nomadArgsPaths(args.value).configPaths;
  if (fromArgs.length > 0) return fromArgs.map((value) => ({ value, source: "nomad_args" }));
  return [{ value: DEFAULT_AGENT_CONFIG_DIR, source: "default" }];
}

export interface ResolvedPaths {
  potPath: Setting;
  childPath: Setting;
  stateDir: Setting;
  pluginDir: Setting;
}

/**
 * The driver's paths as the agent would run it: a flag wins; then the plugin block's config (a
 * `pot-task-driver` block before a `nomad-pot-driver` one; within a name, the last file read); for plugin_dir the
 * agent's -plugin-dir flag in nomad_args, then the last plugin_dir in the files; then the defaults (the driver's
 * own defaults for pot_path and state_dir).
 */
export function resolvePaths(
  flags: DoctorFlags,
  agentConfigs: readonly AgentConfigFile[],
  rcVars: ReadonlyMap<string, RcAssignment>,
): ResolvedPaths {
  const defaults = defaultPluginConfig();
  const fromBlock = (key: string): Setting | undefined => {
    for (const name of PLUGIN_NAMES) {
      for (const file of [...agentConfigs].reverse()) {
        const block = [...file.pluginBlocks].reverse().find((b) => b.name === name && b.config[key] !== undefined);
        if (block !== undefined) return { value: block.config[key] as string, source: "agent config", file: file.path };
      }
    }
    return undefined;
  };
  const flag = (value: string | undefined): Setting | undefined => (value === undefined ? undefined : { value, source: "flag" });
  const args = rcVars.get("nomad_args");
  const argsPluginDir = args === undefined ? undefined : nomadArgsPaths(args.value).pluginDir;
  const configPluginDir = [...agentConfigs].reverse().find((file) => file.pluginDir !== undefined);
  return {
    potPath: flag(flags.potPath) ?? fromBlock("pot_path") ?? { value: defaults.potPath, source: "default" },
    childPath: fromBlock("path") ?? { value: defaults.childPath, source: "default" },
    stateDir: flag(flags.stateDir) ?? fromBlock("state_dir") ?? { value: defaults.stateDir, source: "default" },
    pluginDir: flag(flags.pluginDir) ??
      (argsPluginDir !== undefined ? { value: argsPluginDir, source: "nomad_args" } : undefined) ??
      (configPluginDir !== undefined
        ? { value: configPluginDir.pluginDir as string, source: "agent config", file: configPluginDir.path }
        : undefined) ?? { value: DEFAULT_PLUGIN_DIR, source: "default" },
  };
}
