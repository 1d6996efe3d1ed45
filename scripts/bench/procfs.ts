// Process facts from Linux /proc for the benchmark: CPU times, VmRSS/Pss, argv, session, environment.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second, the unit of the CPU times in /proc/<pid>/stat. */
export const CLOCK_TICKS = (() => {
  const out = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
  const value = Number.parseInt(out.stdout.toString().trim(), 10);
  return Number.isInteger(value) && value > 0 ? value : 100;
})();

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  session: number;
  /** CPU seconds the process itself used, user + system. */
  ownSeconds: number;
  /** CPU seconds of its children that it has waited for, user + system. */
  reapedChildrenSeconds: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat, or undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name may hold spaces and parentheses; every field after the last ")" is plain.
  const fields = text
    .slice(text.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
  // fields[0] is field 3 of proc(5): state; ppid 4, session 6, utime 14, stime 15, cutime 16, cstime 17.
  const at = (n: number): number => Number(fields[n - 3]);
  return {
    pid,
    state: fields[0] ?? "?",
    ppid: at(4),
    session: at(6),
    ownSeconds: (at(14) + at(15)) / CLOCK_TICKS,
    reapedChildrenSeconds: (at(16) + at(17)) / CLOCK_TICKS,
  };
}

/** A field of /proc/<pid>/status or smaps_rollup in KiB ("VmRSS", "RssAnon", "Pss"…), or undefined. */
function kibField(path: string, name: string): number | undefined {
  const text = readText(path);
  const match = text === undefined ? null : new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

export function vmRssKiB(pid: number): number | undefined {
  return kibField(`/proc/${pid}/status`, "VmRSS");
}

/** Proportional set size: shared pages divided among the processes mapping them. */
export function pssKiB(pid: number): number | undefined {
  return kibField(`/proc/${pid}/smaps_rollup`, "Pss");
}

export function argvOf(pid: number): string[] {
  const text = readText(`/proc/${pid}/cmdline`);
  return text === undefined ? [] : text.split("\0").filter((a) => a.length > 0);
}

export function environOf(pid: number): string[] {
  const text = readText(`/proc/${pid}/environ`);
  return text === undefined ? [] : text.split("\0");
}

export function allPids(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}
