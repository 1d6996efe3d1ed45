// Operating-system probes the test suites use, each with a Linux branch (procfs) and a FreeBSD branch (procstat(1),
// ps(1), mount(8) -p): FreeBSD mounts no /proc by default. Parsers are exported so both branches are unit-tested
// from fixtures (test/unit/support/). Facts and sources: docs/freebsd.md ("Test-suite probes").
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export type HostOs = "linux" | "freebsd";

/** The OS whose probes run here; anything that is not FreeBSD uses the Linux (procfs) branch. */
export function hostOs(platform: string = process.platform): HostOs {
  return platform === "freebsd" ? "freebsd" : "linux";
}

/** A command's stdout, or "" when it fails or is missing. PATH is read at each call (the unit tests stub it). */
function run(argv: string[]): string {
  try {
    const proc = Bun.spawnSync(argv, { env: process.env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    return proc.exitCode === 0 ? proc.stdout.toString() : "";
  } catch {
    return "";
  }
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "latin1");
  } catch {
    return undefined;
  }
}

function procPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

// --- parsers (pure) ------------------------------------------------------------------------------------------

export interface FileRow {
  /** A descriptor number, or procstat's names for the other references: text, ctty, cwd, root, jail, trace, mmap. */
  fd: string;
  type: string;
  name: string;
}

/** `procstat -h -f <pid>` rows: PID COMM FD T V FLAGS REF OFFSET PRO NAME (NAME may hold spaces or be empty). */
export function parseProcstatFiles(text: string): FileRow[] {
  const rows: FileRow[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 9 || !/^\d+$/.test(fields[0] ?? "")) continue;
    const [, , fd = "", type = ""] = fields;
    // NAME is everything after the ninth column; re-split the line to keep its inner spaces.
    const name = line.trim().replace(/^(\S+\s+){9}/, "");
    rows.push({ fd, type, name: fields.length > 9 ? name : "" });
  }
  return rows;
}

/** Open descriptors (numbered rows) of a `procstat -f` listing. */
export function openFdsFromProcstat(text: string): number {
  return parseProcstatFiles(text).filter((row) => /^\d+$/.test(row.fd)).length;
}

/** The working directory of a `procstat -f` listing (its `cwd` row), or undefined. */
export function cwdFromProcstat(text: string): string | undefined {
  const row = parseProcstatFiles(text).find((r) => r.fd === "cwd");
  return row === undefined || row.name === "" || row.name === "-" ? undefined : row.name;
}

/** `procstat -h -c -a` / `procstat -h -e -a` rows: PID COMM then the arguments (or environment) as one string. */
export function parseProcstatLines(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+\S+\s*(.*)$/.exec(line);
    if (match) out.set(Number(match[1]), (match[2] ?? "").trimEnd());
  }
  return out;
}

/** Decodes the octal escapes (`\040` for a space) that /proc/mounts and fstab(5)-format output use in paths. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Mount points from /proc/mounts (Linux: device mountpoint type options dump pass) or `mount -p` (FreeBSD,
 * fstab(5) format: the same six columns, tab-separated). Both put the mount point second.
 */
export function parseMountTable(text: string): string[] {
  const points: string[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 2 && !line.trimStart().startsWith("#")) points.push(unescapeMountPath(fields[1] ?? ""));
  }
  return points;
}

export interface PsRow {
  pid: number;
  ppid: number;
  stat: string;
}

/** `ps -A -o pid= -o ppid= -o stat=` (same columns on both systems). */
export function parsePsTable(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)/.exec(line);
    if (match) rows.push({ pid: Number(match[1]), ppid: Number(match[2]), stat: match[3] ?? "" });
  }
  return rows;
}

/** `ps -o rss= -p <pid>`: resident set size in KiB (ps(1) on both systems), or undefined. */
export function parsePsRss(text: string): number | undefined {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Linux /proc/<pid>/status VmRSS in KiB, or undefined. */
export function parseVmRss(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

/** Whether a /proc/locks listing shows `pid` holding a granted FLOCK write lock. */
export function procLocksHeldBy(text: string, pid: number): boolean {
  return text.split("\n").some((l) => !l.includes("->") && / FLOCK .* WRITE /.test(l) && l.includes(` ${pid} `));
}

/** Whether a /proc/locks listing shows some process blocked on an FLOCK lock (the "->" lines). */
export function procLocksHaveWaiter(text: string): boolean {
  return text.split("\n").some((l) => l.includes("->") && l.includes("FLOCK"));
}

/** Whether `procstat advlock` output (RW TYPE PID SYSID FSID RDEV INO START LEN PATH) shows a write FLOCK on `path`. */
export function advlockHeldOn(text: string, path: string): boolean {
  return text.split("\n").some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[0] === "RW" && fields[1] === "FLOCK" && line.trimEnd().endsWith(` ${path}`);
  });
}

/** `ps -A -o wchan=`: one wait channel per line ("-" for a running process). */
export function psWaitChannels(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

// --- probes --------------------------------------------------------------------------------------------------

export interface ProcessFacts {
  pid: number;
  /** argv joined with spaces. */
  args: string;
  /** The environment as one string (Linux: NUL-separated entries; FreeBSD: procstat's space-separated line). */
  environ: string;
}

/** Every process with a command line (zombies and kernel threads have none) and its environment where readable. */
export function processes(os: HostOs = hostOs()): ProcessFacts[] {
  const found: ProcessFacts[] = [];
  if (os === "linux") {
    for (const pid of procPids()) {
      const cmdline = readProc(pid, "cmdline");
      if (cmdline === undefined || cmdline === "") continue;
      found.push({ pid, args: cmdline.replaceAll("\0", " ").trim(), environ: readProc(pid, "environ") ?? "" });
    }
    return found;
  }
  const args = parseProcstatLines(run(["procstat", "-h", "-c", "-a"]));
  const envs = parseProcstatLines(run(["procstat", "-h", "-e", "-a"]));
  for (const [pid, line] of args) if (line !== "") found.push({ pid, args: line, environ: envs.get(pid) ?? "" });
  return found;
}

/** A process's argv joined with spaces, or undefined when it is gone. */
export function argsOf(pid: number, os: HostOs = hostOs()): string | undefined {
  if (os === "linux") {
    const cmdline = readProc(pid, "cmdline");
    return cmdline === undefined ? undefined : cmdline.replaceAll("\0", " ").trim();
  }
  return parseProcstatLines(run(["procstat", "-h", "-c", String(pid)])).get(pid);
}

/** The first word of a process's argv. */
export function commandOf(pid: number, os: HostOs = hostOs()): string | undefined {
  if (os === "linux") return readProc(pid, "cmdline")?.split("\0")[0];
  return argsOf(pid, os)?.split(" ")[0];
}

/** A process's working directory, or undefined when it is gone or unreadable. */
export function cwdOf(pid: number, os: HostOs = hostOs()): string | undefined {
  if (os === "linux") {
    try {
      return readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return undefined;
    }
  }
  return cwdFromProcstat(run(["procstat", "-h", "-f", String(pid)]));
}

/** Number of open file descriptors of a process. */
export function fdCount(pid: number, os: HostOs = hostOs()): number {
  if (os === "linux") return readdirSync(`/proc/${pid}/fd`).length;
  const text = run(["procstat", "-h", "-f", String(pid)]);
  if (text === "") throw new Error(`procstat -f ${pid} failed (is the process gone?)`);
  return openFdsFromProcstat(text);
}

/** Resident set size of a process in KiB. */
export function rssKb(pid: number, os: HostOs = hostOs()): number {
  const value = os === "linux" ? parseVmRss(readProc(pid, "status") ?? "") : parsePsRss(run(["ps", "-o", "rss=", "-p", String(pid)]));
  if (value === undefined) throw new Error(`no RSS for pid ${pid}`);
  return value;
}

/** Every process's pid, parent and state letters. */
export function processTable(os: HostOs = hostOs()): PsRow[] {
  if (os === "linux") {
    const rows: PsRow[] = [];
    for (const pid of procPids()) {
      const stat = readProc(pid, "stat");
      if (stat === undefined) continue;
      // pid (comm) state ppid …: comm may contain spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      rows.push({ pid, ppid: Number(fields[1]), stat: fields[0] ?? "" });
    }
    return rows;
  }
  return parsePsTable(run(["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat="]));
}

/** Children of `pid` that have ended but were never reaped. */
export function zombieChildren(pid: number, os: HostOs = hostOs()): number[] {
  return processTable(os)
    .filter((row) => row.ppid === pid && row.stat.startsWith("Z"))
    .map((row) => row.pid);
}

/** Whether a process exists and is not a zombie. */
export function isLiveProcess(pid: number, os: HostOs = hostOs()): boolean {
  if (os === "linux") {
    const stat = readProc(pid, "stat");
    return stat !== undefined && !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  }
  const stat = run(["ps", "-o", "stat=", "-p", String(pid)]).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** Mount points at or below `dir`, deepest first (so they can be unmounted in order). */
export function mountsUnder(dir: string, os: HostOs = hostOs()): string[] {
  const text =
    os === "linux"
      ? (() => {
          try {
            return readFileSync("/proc/mounts", "utf8");
          } catch {
            return "";
          }
        })()
      : run(["mount", "-p"]);
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return parseMountTable(text)
    .filter((point) => point === dir || point.startsWith(prefix))
    .sort()
    .reverse();
}

/** Whether `pid` holds the exclusive flock(2) lock on `path`. */
export function holdsFlock(pid: number, path: string, os: HostOs = hostOs()): boolean {
  if (os === "linux") return procLocksHeldBy(readFileSync("/proc/locks", "utf8"), pid);
  return advlockHeldOn(run(["procstat", "advlock"]), path);
}

/** Whether some process is blocked waiting for an flock(2) lock (FreeBSD: asleep on the "lockf" wait channel). */
export function flockWaiterExists(os: HostOs = hostOs()): boolean {
  if (os === "linux") return procLocksHaveWaiter(readFileSync("/proc/locks", "utf8"));
  return psWaitChannels(run(["ps", "-A", "-o", "wchan="])).includes("lockf");
}
