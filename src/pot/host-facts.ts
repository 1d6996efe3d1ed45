// Host facts pot depends on (layer 3): rctl/racct, VIMAGE and ZFS, read on FreeBSD for node attributes
// (elsewhere, the simulator's Linux hosts, there is nothing to read and the result is empty); and the CPU count
// and speed, which Bun's os.cpus() cannot always give on FreeBSD.
import { availableParallelism, cpus } from "node:os";
import type { CommandRunner } from "./runner.ts";

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

export interface HostCpu {
  /** Logical CPUs. */
  count: number;
  /** MHz of one core; undefined when nothing on the host says. */
  mhz: number | undefined;
}

export interface CpuSources {
  /** os.cpus(); may throw (Bun sizes kern.cp_times by hw.ncpu, which breaks when CPU ids have gaps). */
  cpus: () => Array<{ speed: number }>;
  availableParallelism: () => number;
}

const NODE_CPU_SOURCES: CpuSources = { cpus, availableParallelism };

/**
 * CPU count and core speed. os.cpus() first; on FreeBSD, whatever it cannot give comes from sysctl: hw.ncpu for
 * the count, hw.clockrate for the speed, and dev.cpu.0.freq where hw.clockrate does not exist (arm64) or says 0.
 * Never throws: a count that cannot be read is availableParallelism(), a speed that cannot be read undefined.
 */
export async function readHostCpu(
  runner: CommandRunner,
  platform: string = process.platform,
  sources: CpuSources = NODE_CPU_SOURCES,
): Promise<HostCpu> {
  let listed: Array<{ speed: number }> = [];
  try {
    listed = sources.cpus();
  } catch {
    listed = [];
  }
  const speed = listed[0]?.speed;
  let count = listed.length;
  let mhz = speed !== undefined && speed > 0 ? speed : undefined;
  if (platform === "freebsd" && (count === 0 || mhz === undefined)) {
    const result = await runner
      .run(["/sbin/sysctl", "-i", "hw.ncpu", "hw.clockrate", "dev.cpu.0.freq"], { timeoutMs: PROBE_TIMEOUT_MS })
      .catch(() => undefined);
    const values = result?.exitCode === 0 ? parseSysctlValues(result.stdout) : new Map<string, number>();
    if (count === 0) count = values.get("hw.ncpu") ?? 0;
    mhz ??= positive(values.get("hw.clockrate")) ?? positive(values.get("dev.cpu.0.freq"));
  }
  if (count === 0) count = sources.availableParallelism();
  return { count, mhz };
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

/** `name: value` lines of sysctl(8) with integer values. */
export function parseSysctlValues(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^([\w.%]+):\s*(\d+)\s*$/.exec(line.trim());
    if (match) values.set(match[1] as string, Number(match[2]));
  }
  return values;
}
