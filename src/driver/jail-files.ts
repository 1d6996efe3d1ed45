// Reading a file of a prepared, not yet started pot (its jail root or its conf/) from the host (driver layer).
//
// The jail root holds the image's files and the job's copies; any of them may be a symlink pointing anywhere on
// the host. The driver runs as root, so no component below the jail root is followed: every directory on the
// way must be a real directory and the file a regular file, or the read is refused.
import { constants } from "node:fs";
import { type FileHandle, lstat, open } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "../support/errno.ts";

/** Larger files are refused rather than read (a user database is a few KiB). */
const MAX_BYTES = 4 * 1024 * 1024;

export type JailFileResult = { ok: true; text: string } | { ok: false; reason: string };

/** A pot's directory, `<fs_root>/jails/<pot>`: its jail root `m/` and its configuration `conf/`. */
export function potDirOf(fsRoot: string, potName: string): string {
  return join(fsRoot, "jails", potName);
}

/** The jail root of a pot: pot keeps it at `<fs_root>/jails/<pot>/m` (share/pot/start.sh `path=`). */
export function jailRootOf(fsRoot: string, potName: string): string {
  return join(potDirOf(fsRoot, potName), "m");
}

/** Checks every directory from the jail root down to `jailPath`'s parent; the host path of the file, or why not. */
async function walk(jailRoot: string, jailPath: string): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  const parts = jailPath.split("/").filter((p) => p !== "");
  for (let depth = 0; depth < parts.length; depth++) {
    const inJail = `/${parts.slice(0, depth).join("/")}`;
    const stat = await lstat(join(jailRoot, inJail)).catch(() => undefined);
    if (stat === undefined) return { ok: false, reason: `${inJail} does not exist in the jail` };
    if (!stat.isDirectory()) return { ok: false, reason: `${inJail} is not a directory in the jail (symlinks are not followed)` };
  }
  return { ok: true, path: join(jailRoot, ...parts) };
}

/** The text of `jailPath` (absolute, in-jail), never following a symlink below the jail root. */
export async function readJailFile(jailRoot: string, jailPath: string): Promise<JailFileResult> {
  const walked = await walk(jailRoot, jailPath);
  if (!walked.ok) return walked;
  let handle: FileHandle;
  try {
    handle = await open(walked.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = errnoOf(err);
    if (code === "ENOENT") return { ok: false, reason: `${jailPath} does not exist` };
    if (code === "ELOOP" || code === "EMLINK") return { ok: false, reason: `${jailPath} is a symlink (not followed)` };
    return { ok: false, reason: `${jailPath} cannot be read: ${code ?? String(err)}` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: `${jailPath} is not a regular file` };
    if (stat.size > MAX_BYTES) return { ok: false, reason: `${jailPath} is larger than ${MAX_BYTES} bytes` };
    return { ok: true, text: await handle.readFile("utf8") };
  } finally {
    await handle.close();
  }
}

/** Whether `jailPath` is an executable regular file (not a symlink) in the jail. */
export async function isJailExecutable(jailRoot: string, jailPath: string): Promise<boolean> {
  const walked = await walk(jailRoot, jailPath);
  if (!walked.ok) return false;
  const stat = await lstat(walked.path).catch(() => undefined);
  return stat?.isFile() === true && (stat.mode & 0o111) !== 0;
}
