// Host facts pot depends on (layer 3): rctl/racct, VIMAGE and ZFS, read on FreeBSD for node attributes.
// Elsewhere (the simulator's Linux hosts) there is nothing to read and the result is empty.
import type { CommandRunner } from "./runner";

export interface HostFacts {
  /** kern.racct.enable = 1: pot's memory limits and get-rss work. */
  racct?: boolean;
  /** kern.features.vimage = 1: public-bridge jails are possible. */
  vimage?: boolean;
  /** The zfs kernel module is loaded. */
  zfs?: boolean;
}

const PROBE_TIMEOUT_MS = 5_000;

/** Two processes per call: one sysctl for both OIDs (-i: an unknown OID is skipped, not an error) and kldstat. */
export async function readHostFacts(runner: CommandRunner, platform: string = process.platform): Promise<HostFacts> {
  if (platform !== "freebsd") return {};
  const [sysctl, kldstat] = await Promise.all([
    runner.run(["/sbin/sysctl", "-i", "kern.racct.enable", "kern.features.vimage"], { timeoutMs: PROBE_TIMEOUT_MS }),
    runner.run(["/sbin/kldstat", "-q", "-m", "zfs"], { timeoutMs: PROBE_TIMEOUT_MS }),
  ]);
  return { ...parseSysctl(sysctl.exitCode === 0 ? sysctl.stdout : ""), zfs: kldstat.exitCode === 0 };
}

/** Parses `name: value` lines of sysctl(8). */
export function parseSysctl(text: string): Pick<HostFacts, "racct" | "vimage"> {
  const facts: Pick<HostFacts, "racct" | "vimage"> = {};
  for (const line of text.split("\n")) {
    const match = /^([\w.]+):\s*(\S+)/.exec(line.trim());
    if (!match) continue;
    if (match[1] === "kern.racct.enable") facts.racct = match[2] === "1";
    if (match[1] === "kern.features.vimage") facts.vimage = match[2] === "1";
  }
  return facts;
}
