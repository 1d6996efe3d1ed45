// On-disk task bundles under <stateDir>/tasks/<bundleId>/: ids, layout, atomic create/write/delete, listing (layer 4).
//
// A bundle is everything recovery needs about one supervised argv, so that a restarted driver needs nothing
// but the directory (containerd's bundle idea): spec.json (written by the driver), supervise.sh,
// supervisor.pid and exit.json (written by the supervisor), supervisor.log. Names starting with "." are work in
// progress (.staging-…, .deleting-…, temp files) and are skipped by every reader.
import { createHash, randomBytes } from "node:crypto";
import { type Dirent, constants as fsConstants } from "node:fs";
import { mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isErrno } from "../support/errno.ts";
import { SupervisorError } from "./errors.ts";
import { SCRIPT_FILE } from "./script.ts";

export const BUNDLE_VERSION = 1;

/** Sub-directory of the plugin state dir that holds the bundles. */
export const TASKS_DIR = "tasks";

export const BUNDLE_FILES = {
  spec: "spec.json",
  script: SCRIPT_FILE,
  pid: "supervisor.pid",
  exit: "exit.json",
  log: "supervisor.log",
} as const;

export type BundleFile = keyof typeof BUNDLE_FILES;

/** spec.json: what the driver asked for. Written once, before the supervisor starts. */
export interface BundleSpec {
  version: typeof BUNDLE_VERSION;
  taskId: string;
  argv: string[];
  stdoutPath: string;
  stderrPath: string;
  /** ISO 8601, when the bundle was created. */
  createdAt: string;
  /** Random marker passed to the supervisor's argv and echoed in supervisor.pid; proves identity after a restart. */
  launchToken: string;
}

/** supervisor.pid: written by the supervisor itself as "<pid> <launch-token>". */
export interface PidRecord {
  pid: number;
  launchToken: string;
}

export interface BundleEntry {
  bundleId: string;
  bundleDir: string;
}

const READABLE_ID_MAX = 64;
const HASH_HEX_CHARS = 16;

/**
 * The bundle id of a task: a readable prefix (characters outside [A-Za-z0-9._-] become "_", at most 64 of
 * them, never starting with ".") plus 16 hex digits of SHA-256 of the whole task id, so distinct task ids
 * never share a bundle even when their readable prefixes collide. Same task id, same bundle id, always.
 */
export function bundleIdFor(taskId: string): string {
  const readable = taskId
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .replace(/^\.+/, (dots) => "_".repeat(dots.length))
    .slice(0, READABLE_ID_MAX);
  const hash = createHash("sha256").update(taskId, "utf8").digest("hex").slice(0, HASH_HEX_CHARS);
  return readable === "" ? hash : `${readable}-${hash}`;
}

export function bundlesRoot(stateDir: string): string {
  return join(stateDir, TASKS_DIR);
}

export function bundleDirFor(stateDir: string, taskId: string): string {
  return join(bundlesRoot(stateDir), bundleIdFor(taskId));
}

export function bundlePath(bundleDir: string, file: BundleFile): string {
  return join(bundleDir, BUNDLE_FILES[file]);
}

/**
 * Writes a file so that readers see either the old content or the whole new one: a hidden temp file in the
 * same directory, fsync, rename over the target.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Creates the bundle for `spec.taskId` with its spec.json and script, atomically: the files are written into a
 * hidden staging directory that is then renamed into place. Returns the bundle dir.
 * Throws SupervisorError "already-exists" when the task already has a bundle (it is never reused).
 */
export async function createBundle(stateDir: string, spec: BundleSpec, script: string): Promise<string> {
  const root = bundlesRoot(stateDir);
  const bundleId = bundleIdFor(spec.taskId);
  const bundleDir = join(root, bundleId);
  await mkdir(root, { recursive: true, mode: 0o700 });
  if (await exists(bundleDir)) {
    throw new SupervisorError("already-exists", `failed to create bundle ${bundleDir}: it already exists`, { bundleDir });
  }
  const staging = join(root, `.staging-${bundleId}-${randomBytes(6).toString("hex")}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    await writeFileAtomic(join(staging, BUNDLE_FILES.spec), `${JSON.stringify(spec, null, 2)}\n`);
    await writeFileAtomic(join(staging, BUNDLE_FILES.script), script, 0o644);
    await rename(staging, bundleDir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    if (isErrno(err, "EEXIST", "ENOTEMPTY")) {
      throw new SupervisorError("already-exists", `failed to create bundle ${bundleDir}: it already exists`, {
        bundleDir,
        cause: err,
      });
    }
    throw err;
  }
  return bundleDir;
}

/** Reads and checks spec.json. Throws SupervisorError "not-found" or "corrupt". */
export async function readSpec(bundleDir: string): Promise<BundleSpec> {
  const path = bundlePath(bundleDir, "spec");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT", "ENOTDIR")) {
      throw new SupervisorError("not-found", `failed to read bundle ${bundleDir}: no spec.json`, { bundleDir, cause: err });
    }
    throw err;
  }
  const spec = parseSpec(text);
  if (typeof spec === "string") {
    throw new SupervisorError("corrupt", `failed to read bundle ${bundleDir}: ${spec}`, { bundleDir });
  }
  return spec;
}

/** Parses spec.json; returns the problem as a string when it is not a version-1 spec. */
export function parseSpec(text: string): BundleSpec | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "spec.json is not JSON";
  }
  if (typeof value !== "object" || value === null) return "spec.json is not an object";
  const spec = value as Record<string, unknown>;
  if (spec.version !== BUNDLE_VERSION) return `spec.json has unsupported version ${JSON.stringify(spec.version)}`;
  for (const key of ["taskId", "stdoutPath", "stderrPath", "createdAt", "launchToken"] as const) {
    if (typeof spec[key] !== "string") return `spec.json has no string ${key}`;
  }
  const argv = spec.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === "string")) {
    return "spec.json has no argv";
  }
  return value as BundleSpec;
}

/**
 * Reads supervisor.pid; undefined when it is absent or not "<pid> <token>\n" (the supervisor writes it with one
 * write, so a record without its newline is one still being written).
 */
export async function readPidRecord(bundleDir: string): Promise<PidRecord | undefined> {
  const text = await readOptional(bundlePath(bundleDir, "pid"));
  if (text === undefined) return undefined;
  return parsePidRecord(text);
}

export function parsePidRecord(text: string): PidRecord | undefined {
  const match = /^(\d+) (\S+)\n$/.exec(text);
  if (match === null) return undefined;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 1 ? { pid, launchToken: match[2] as string } : undefined;
}

/** exit.json's text and when it was written (its modification time). */
export interface ExitFile {
  text: string;
  writtenAt: Date;
}

/** Reads exit.json and its modification time from one open file; undefined when it does not exist. */
export async function readExitFile(bundleDir: string): Promise<ExitFile | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(bundlePath(bundleDir, "exit"), "r");
  } catch (err) {
    if (isErrno(err, "ENOENT", "ENOTDIR")) return undefined;
    throw err;
  }
  try {
    // Text first: once it is whole, the file is not written again, so the time read after it is the final one.
    const text = await handle.readFile("utf8");
    return { text, writtenAt: (await handle.stat()).mtime };
  } finally {
    await handle.close();
  }
}

/** Reads a bundle file; undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT", "ENOTDIR")) return undefined;
    throw err;
  }
}

/**
 * Deletes a bundle atomically: renames it to a hidden ".deleting-…" name (after which no reader sees it), then
 * removes it recursively. Idempotent: a bundle that is already gone is success.
 */
export async function removeBundle(bundleDir: string): Promise<void> {
  const doomed = join(dirname(bundleDir), `.deleting-${basename(bundleDir)}-${randomBytes(6).toString("hex")}`);
  try {
    await rename(bundleDir, doomed);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return;
    throw err;
  }
  await rm(doomed, { recursive: true, force: true });
}

/** The bundles under a state dir, sorted by id; hidden entries and non-directories are skipped. */
export async function listBundles(stateDir: string): Promise<BundleEntry[]> {
  const root = bundlesRoot(stateDir);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => ({ bundleId: entry.name, bundleDir: join(root, entry.name) }))
    .sort((a, b) => (a.bundleId < b.bundleId ? -1 : a.bundleId > b.bundleId ? 1 : 0));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
}
