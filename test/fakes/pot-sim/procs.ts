// Linux process facts for the simulated jail: liveness with identity, process trees, signals, usage.
import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  utimeTicks: number;
  stimeTicks: number;
  /** Start time in clock ticks since boot: with the pid, a process identity. */
  startTicks: number;
}

/** Linux USER_HZ: the unit of /proc/<pid>/stat times. */
export const CLOCK_TICKS_PER_SECOND = 100;

export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state) of proc(5).
  return {
    pid,
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    utimeTicks: Number(fields[11]),
    stimeTicks: Number(fields[12]),
    startTicks: Number(fields[19]),
  };
}

/** Alive and not a zombie; when `startTicks` is given, also the same process (not a reused pid). */
export function isAlive(pid: number | undefined, startTicks?: number): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  const stat = readStat(pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

export function startTicksOf(pid: number): number | undefined {
  return readStat(pid)?.startTicks;
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== null) stats.push(stat);
  }
  return stats;
}

/** `pid` and all its living descendants (the simulated jail's processes), root first. */
export function processTree(pid: number): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const stat of stats) {
    if (stat.state === "Z") continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = isAlive(pid) ? [pid] : [];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    tree.push(current);
    queue.push(...(children.get(current) ?? []));
  }
  return tree;
}

/** Sends `signal` to every pid; returns how many deliveries succeeded. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals | number): number {
  let delivered = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      delivered++;
    } catch {
      // Gone already.
    }
  }
  return delivered;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((s) => s !== "")
      .join(" ");
  } catch {
    return "";
  }
}

export interface TreeUsage {
  rssBytes: number;
  virtualBytes: number;
  swapBytes: number;
  cpuSeconds: number;
  /** Percent of one CPU over the root process's lifetime, an integer like rctl's pcpu. */
  cpuPercent: number;
}

function statusKilobytes(pid: number, key: string): number {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

function uptimeSeconds(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
}

/** Real usage of a process tree: VmRSS/VmSize/VmSwap summed, CPU time summed over the tree. */
export function treeUsage(rootPid: number): TreeUsage {
  const tree = processTree(rootPid);
  let rssKb = 0;
  let virtualKb = 0;
  let swapKb = 0;
  let cpuTicks = 0;
  for (const pid of tree) {
    rssKb += statusKilobytes(pid, "VmRSS");
    virtualKb += statusKilobytes(pid, "VmSize");
    swapKb += statusKilobytes(pid, "VmSwap");
    const stat = readStat(pid);
    if (stat !== null) cpuTicks += stat.utimeTicks + stat.stimeTicks;
  }
  const root = readStat(rootPid);
  const elapsed = root === null ? 0 : uptimeSeconds() - root.startTicks / CLOCK_TICKS_PER_SECOND;
  const cpuSeconds = cpuTicks / CLOCK_TICKS_PER_SECOND;
  return {
    rssBytes: rssKb * 1024,
    virtualBytes: virtualKb * 1024,
    swapBytes: swapKb * 1024,
    cpuSeconds,
    cpuPercent: elapsed > 0 ? Math.round((cpuSeconds / elapsed) * 100) : 0,
  };
}

/** The host's clock in MHz (first `cpu MHz` of /proc/cpuinfo), pot's hw.clockrate; 1000 when unknown. */
export function clockRateMhz(): number {
  try {
    const match = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return match?.[1] === undefined ? 1000 : Math.round(Number(match[1]));
  } catch {
    return 1000;
  }
}

/** Host boot time in epoch seconds (pot ignores status files older than this). */
export function bootTimeSeconds(): number {
  try {
    const match = /^btime (\d+)/m.exec(readFileSync("/proc/stat", "utf8"));
    return match?.[1] === undefined ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}
