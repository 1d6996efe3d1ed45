// Driver health and node attributes (driver layer): what Fingerprint reports, computed from probes.
//
// UNDETECTED hides the driver from the scheduler (disabled, or pot missing); UNHEALTHY keeps it detected but
// unschedulable (pot too old or broken); HEALTHY with description "Healthy" as Go drivers report it.
// Attributes are named driver.pot.* so jobs can constrain on them.
import { describeError } from "../log/logger.ts";

export type Health = "undetected" | "unhealthy" | "healthy";
export type AttributeValue = string | number | boolean | bigint;

export interface Fingerprint {
  health: Health;
  description: string;
  attributes: Record<string, AttributeValue>;
}

/**
 * Oldest pot the driver runs on: exec_stop and stop_timeout arrived in 0.16.0, and the 0.15 releases have
 * status-machine bugs that leave pots stuck (docs/pot-behaviour.md, "Versions").
 */
export const MIN_POT_VERSION = "0.16.0";

/** Why MIN_POT_VERSION is needed, for the operator who sees the driver unhealthy. */
export const MIN_POT_VERSION_REASON =
  "older pots lack the exec_stop and stop_timeout attributes and leave pots stuck in starting or stopping";

export interface FingerprintProbes {
  enabled: boolean;
  potPath: string;
  /** Whether pot exists at potPath and is executable. */
  potPresent: () => Promise<boolean>;
  /** `pot version -q`. */
  potVersion: () => Promise<string>;
  /** Optional host facts (FreeBSD only; absent elsewhere). */
  hostFacts?: () => Promise<Record<string, AttributeValue>>;
  driverVersion: string;
}

export async function computeFingerprint(probes: FingerprintProbes): Promise<Fingerprint> {
  if (!probes.enabled) {
    return { health: "undetected", description: "disabled by the plugin configuration (enabled = false)", attributes: {} };
  }
  if (!(await probes.potPresent())) {
    return {
      health: "undetected",
      description: `pot not found at ${probes.potPath} (install pot or set pot_path in the plugin config)`,
      attributes: {},
    };
  }
  let version: string;
  try {
    version = (await probes.potVersion()).trim();
  } catch (err) {
    const reason = describeError(err);
    return { health: "unhealthy", description: `pot at ${probes.potPath} is not usable: ${reason}`, attributes: {} };
  }
  const attributes: Record<string, AttributeValue> = {
    "driver.pot": true,
    "driver.pot.version": version,
    "driver.pot.driver_version": probes.driverVersion,
  };
  if (probes.hostFacts) {
    try {
      Object.assign(attributes, await probes.hostFacts());
    } catch {
      // Host facts are advisory; health does not depend on them.
    }
  }
  if (compareVersions(version, MIN_POT_VERSION) < 0) {
    return {
      health: "unhealthy",
      description: `pot ${version} is too old: ${MIN_POT_VERSION} or newer is required (${MIN_POT_VERSION_REASON})`,
      attributes,
    };
  }
  return { health: "healthy", description: "Healthy", attributes };
}

/** Compares dotted numeric versions ("0.16.0" vs "0.15.10"); a non-numeric version sorts lowest. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): number[] | null => {
    const m = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
    return m?.[1] ? m[1].split(".").map(Number) : null;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
