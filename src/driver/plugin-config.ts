// Plugin config (driver layer): the agent's `plugin "pot-task-driver" { config {} }`, declared once; every
// attribute has a default, so an agent without a config block gets a complete config.
import { absolutePathProblem } from "../support/absolute-path.ts";
import { childPathProblem, DEFAULT_CHILD_PATH } from "../support/child-env.ts";
import {
  type Check,
  type ConfigOf,
  type ConfigResult,
  declareConfig,
  defaultedField,
  eachOf,
  INVALID,
  oneOf,
  type SpecNode,
  unchanged,
} from "./config-schema.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

const absoluteDir =
  (what: string): Check<string, string> =>
  (path, ctx) => {
    const problem = absolutePathProblem(path);
    if (problem !== undefined) {
      ctx.issue(path, `${what} ${problem}`);
      return INVALID;
    }
    // One canonical spelling, so "/a/b/" and "/a//b" compare equal to "/a/b" in prefix checks.
    return path.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  };

const childPath: Check<string, string> = (path, ctx) => {
  const problem = childPathProblem(path);
  if (problem !== undefined) {
    ctx.issue(path, problem);
    return INVALID;
  }
  return path;
};

const GO_DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go time.ParseDuration string without sign ("30s", "1m30s", "1.5h") into milliseconds. */
export function parseGoDurationMs(text: string): number | undefined {
  if (!/^(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(amount) * (GO_DURATION_UNIT_MS[unit as string] as number);
  }
  return total;
}

const MIN_FINGERPRINT_MS = 100;
const MAX_FINGERPRINT_MS = 24 * 3_600_000;

const fingerprintPeriod: Check<string, number> = (text, ctx) => {
  const ms = parseGoDurationMs(text);
  if (ms === undefined) {
    ctx.issue(text, 'must be a duration such as "30s" or "1m30s"');
    return INVALID;
  }
  if (ms < MIN_FINGERPRINT_MS || ms > MAX_FINGERPRINT_MS) {
    ctx.issue(text, "must be between 100ms and 24h");
    return INVALID;
  }
  return Math.round(ms);
};

export const pluginConfigDeclaration = declareConfig(
  {
    enabled: defaultedField({
      name: "enabled",
      type: "bool",
      check: unchanged,
      default: true,
      doc: "When false the driver fingerprints as undetected and no task can be placed on it.",
    }),
    potPath: defaultedField({
      name: "pot_path",
      type: "string",
      check: absoluteDir("pot_path"),
      default: "/usr/local/bin/pot",
      doc: "Absolute path of the pot executable.",
    }),
    childPath: defaultedField({
      name: "path",
      type: "string",
      check: childPath,
      default: DEFAULT_CHILD_PATH,
      doc: "PATH of every process the driver starts (pot, the tools pot runs, the supervisor); nothing else of the agent's environment is passed on.",
    }),
    stateDir: defaultedField({
      name: "state_dir",
      type: "string",
      check: absoluteDir("state_dir"),
      default: "/var/db/pot-task-driver",
      doc: "Directory for per-task bundles (supervisor state and exit records).",
    }),
    allowedHostPaths: defaultedField({
      name: "allowed_host_paths",
      type: "list(string)",
      check: eachOf(absoluteDir("allowed host path")),
      default: [],
      doc: "Host directories, besides the task's own directories, under which copy and mount sources may lie.",
    }),
    fingerprintPeriodMs: defaultedField({
      name: "fingerprint_period",
      type: "string",
      check: fingerprintPeriod,
      default: "30s",
      doc: 'How often the driver health and attributes are re-checked, as a Go duration ("30s").',
    }),
    logLevel: defaultedField({
      name: "log_level",
      type: "string",
      check: oneOf(LOG_LEVELS, "must be one of trace, debug, info, warn, error"),
      default: "info",
      doc: "Lowest level the plugin logs at.",
    }),
  },
  { whenNull: "defaults" },
);

/** The validated plugin config with every default applied. */
export type PluginConfig = ConfigOf<typeof pluginConfigDeclaration.fields>;

/** Validates a decoded plugin config (null when Nomad sent no bytes → all defaults). Never throws. */
export function validatePluginConfig(value: unknown): ConfigResult<PluginConfig> {
  return pluginConfigDeclaration.validate(value);
}

/** The plugin config's neutral hclspec tree (plugin/hclspec.ts turns it into the protobuf Spec). */
export function pluginConfigSpec(): SpecNode {
  return pluginConfigDeclaration.spec();
}

/** The config used before SetConfig arrives: every default. */
export function defaultPluginConfig(): PluginConfig {
  const result = validatePluginConfig(null);
  if (!result.ok) throw new Error("plugin config defaults do not validate");
  return result.config;
}
