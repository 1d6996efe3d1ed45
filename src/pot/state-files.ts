// pot's own state files (layer 3): where pot keeps a pot's lifecycle status, main pid and configuration, and how
// to read them without running pot. Paths and formats are described in docs/pot-behaviour.md ("Configuration and state files").
import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

/** The statuses of pot's status machine (set-status.sh). */
export const POT_STATUSES = ["starting", "doa", "started", "stopping", "stopped"] as const;
export type PotStatus = (typeof POT_STATUSES)[number];

/** Where one pot installation keeps its state files. */
export interface PotStateDir {
  /** POT_TMP as pot resolves it from its configuration. */
  tmpDir: string;
  /** POT_FS_ROOT likewise (a pot's files are under `<fsRoot>/jails/<pot>/`); absent when it cannot be read. */
  fsRoot?: string;
}

export interface StatusReading {
  status: PotStatus;
  /** When the status file was last written (ms since the epoch). */
  writtenAtMs: number;
}

/** `<POT_TMP>/pot_status_<pot>`: lines `pot.status=<status>,<interfaces>`, the last one counts. */
export function statusFilePath(dir: PotStateDir, potName: string): string {
  return join(dir.tmpDir, `pot_status_${potName}`);
}

/** `<POT_TMP>/pot_main_pid_<pot>`: the pid of the jail's main process, while a non-persistent pot runs. */
export function mainPidFilePath(dir: PotStateDir, potName: string): string {
  return join(dir.tmpDir, `pot_main_pid_${potName}`);
}

/**
 * POT_TMP and POT_FS_ROOT as pot itself would set them: pot sources `<prefix>/etc/pot/pot.default.conf`, then
 * `pot.conf` if readable, where `<prefix>` is the parent of the directory holding the (symlink-resolved) pot
 * executable. Only plain assignments are understood (`POT_TMP=/x`, quoted, with `$NAME`/`${NAME}` taken from
 * `env`, which is the environment pot runs in). Anything else for POT_TMP (no readable default file, a command
 * substitution, a conditional assignment) gives undefined, and callers fall back to running pot; POT_FS_ROOT
 * that cannot be read is left out the same way.
 */
export async function locatePotStateDir(
  potPath: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<PotStateDir | undefined> {
  let etc: string;
  try {
    etc = join(dirname(dirname(await realpath(potPath))), "etc", "pot");
  } catch {
    return undefined;
  }
  let defaults: string;
  try {
    defaults = await readFile(join(etc, "pot.default.conf"), "utf8");
  } catch {
    return undefined;
  }
  const local = await readFile(join(etc, "pot.conf"), "utf8").catch(() => "");
  // The local file's plain assignment wins; one this reader cannot follow makes the setting unknown.
  const setting = (name: string, fallback: string | undefined): string | undefined => {
    const value = assignedValue(defaults, name, env);
    const override = assignedValue(local, name, env);
    if (value === null || override === null) return undefined;
    const result = override ?? value ?? fallback;
    return result?.startsWith("/") ? result : undefined;
  };
  const tmpDir = setting("POT_TMP", "/tmp");
  if (tmpDir === undefined) return undefined;
  const fsRoot = setting("POT_FS_ROOT", undefined);
  return fsRoot === undefined ? { tmpDir } : { tmpDir, fsRoot };
}

/** `<POT_FS_ROOT>/jails/<pot>/conf/pot.conf`: the pot's configuration, outside the jail's own file system. */
export function potConfPath(fsRoot: string, potName: string): string {
  return join(fsRoot, "jails", potName, "conf", "pot.conf");
}

/**
 * The address pot recorded for the pot (`ip=` in its pot.conf, as pot prepare wrote it; what `pot info` shows):
 * undefined when there is none or the file cannot be read.
 */
export async function readPotAddress(fsRoot: string, potName: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(potConfPath(fsRoot, potName), "utf8");
  } catch {
    return undefined;
  }
  const value = text
    .split("\n")
    .filter((line) => line.startsWith("ip="))
    .at(-1)
    ?.slice("ip=".length)
    .trim();
  return value === undefined || value === "" ? undefined : value;
}

/** `<POT_FS_ROOT>/jails/<pot>/conf/.last_run_stats`: the `{ "ExitCode": N }` pot start writes when the command ends. */
function lastRunStatsPath(fsRoot: string, potName: string): string {
  return join(fsRoot, "jails", potName, "conf", ".last_run_stats");
}

/**
 * The text of the pot's `.last_run_stats` (what `pot last-run-stats` prints when the file exists); undefined when
 * it cannot be read, e.g. not written yet or no such pot.
 */
export async function readLastRunStatsFile(fsRoot: string, potName: string): Promise<string | undefined> {
  try {
    return await readFile(lastRunStatsPath(fsRoot, potName), "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The value of the last plain `NAME=value` line for `name`; undefined when none; null when the file sets it in a
 * way this reader does not follow.
 */
export function assignedValue(text: string, name: string, env: Readonly<Record<string, string | undefined>>): string | undefined | null {
  let result: string | undefined | null;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line.startsWith("#") || !line.includes(name)) continue;
    const match = new RegExp(`^(?:export\\s+)?${name}=(.*)$`).exec(line);
    if (!match) {
      result = null;
      continue;
    }
    result = shellWord((match[1] ?? "").replace(/\s+#.*$/, ""), env);
  }
  return result;
}

/** One shell word: unquoted or quoted, `$NAME`/`${NAME}` expanded outside single quotes; null if beyond that. */
function shellWord(word: string, env: Readonly<Record<string, string | undefined>>): string | null {
  if (/[`;&|<>()]|\$\(/.test(word.replace(/'[^']*'/g, ""))) return null;
  const single = /^'([^']*)'$/.exec(word);
  if (single) return single[1] ?? "";
  const unquoted = /^"([^"\\`]*)"$/.exec(word)?.[1] ?? (/^[^\s"'\\]*$/.test(word) ? word : undefined);
  if (unquoted === undefined) return null;
  if (/\$\{[^}]*[^A-Za-z0-9_}][^}]*\}/.test(unquoted)) return null;
  return unquoted.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a: string | undefined, b: string | undefined) => env[a ?? b ?? ""] ?? "",
  );
}

/** The pot's current status from its status file; undefined when there is none or it names no status. */
export async function readPotStatus(dir: PotStateDir, potName: string): Promise<StatusReading | undefined> {
  const file = statusFilePath(dir, potName);
  let text: string;
  let writtenAtMs: number;
  try {
    [text, writtenAtMs] = await Promise.all([readFile(file, "utf8"), stat(file).then((s) => s.mtimeMs)]);
  } catch {
    return undefined;
  }
  const line = text
    .split("\n")
    .filter((l) => l.startsWith("pot.status="))
    .at(-1);
  if (line === undefined) return undefined;
  const status = (line.replace(/[ \t"]/g, "").split("=")[1] ?? "").split(",")[0] ?? "";
  return (POT_STATUSES as readonly string[]).includes(status) ? { status: status as PotStatus, writtenAtMs } : undefined;
}

/** The pid pot recorded for the jail's main process; undefined when not (yet, or any more) recorded. */
export async function readMainPid(dir: PotStateDir, potName: string): Promise<number | undefined> {
  try {
    const text = (await readFile(mainPidFilePath(dir, potName), "utf8")).trim();
    return /^[1-9][0-9]*$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
