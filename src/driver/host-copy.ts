// Copies into a mounted host directory (driver layer): a `copy` whose jail path lies under /local, /secrets,
// /alloc or a writable mount is written into the host directory mounted there, because the mount would hide
// anything copied into the pot (docs/pot-behaviour.md, "Mounts"). The driver runs as root and these directories
// are the task's (or shared with the allocation's other tasks), so nothing in them is trusted: no symlink is
// followed below the mounted directory, and the file is written under a fresh name, then renamed into place.
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, lstat, mkdir, realpath, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isErrno } from "../support/errno.ts";
import type { ConfigIssue } from "./config-schema.ts";
import { DriverError } from "./errors.ts";
import type { HostCopy } from "./mount-layout.ts";
import { describeError } from "../log/logger.ts";

/** Sources that cannot be copied into a mounted directory (only regular files can), one issue each. */
export async function hostCopyIssues(copies: readonly HostCopy[]): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const copy of copies) {
    const info = await stat(copy.source).catch(() => undefined);
    if (info !== undefined && !info.isFile()) {
      issues.push({
        path: copy.path,
        message: `host path ${copy.source} is not a regular file: under the mount at ${copy.mountPoint} only files can be copied; mount the directory instead`,
        value: `${copy.source}:${copy.jailPath}`,
      });
    }
  }
  return issues;
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

/** Writes `copy.source` to `<hostDir>/<relative>`, creating parent directories (0755) that do not exist. */
export async function copyIntoMountedDir(copy: HostCopy): Promise<void> {
  const refuse = (why: string) =>
    new DriverError("invalid-config", `failed to copy ${copy.source} to ${copy.jailPath} (${copy.path}): ${why}`);
  const root = await realpath(copy.hostDir);
  const parts = copy.relative.split("/").filter((p) => p !== "");
  const name = parts.pop();
  if (name === undefined) throw refuse("the jail path names the mount point itself");
  let dir = root;
  let inJail = copy.mountPoint;
  for (const part of parts) {
    dir = join(dir, part);
    inJail = `${inJail}/${part}`;
    let info = await lstatOrUndefined(dir);
    if (info === undefined) {
      await mkdir(dir, { mode: 0o755 }).catch((err: unknown) => {
        if (!isErrno(err, "EEXIST")) throw err;
      });
      info = await lstat(dir);
    }
    if (info.isSymbolicLink()) throw refuse(`${inJail} is a symbolic link in the mounted directory ${copy.hostDir}; it is not followed`);
    if (!info.isDirectory()) throw refuse(`${inJail} exists in the mounted directory ${copy.hostDir} and is not a directory`);
  }
  const target = join(dir, name);
  const existing = await lstatOrUndefined(target);
  if (existing !== undefined && !existing.isFile()) {
    const kind = existing.isSymbolicLink() ? "a symbolic link" : "not a regular file";
    throw refuse(`${copy.jailPath} exists in the mounted directory ${copy.hostDir} and is ${kind}; it is not replaced`);
  }
  // COPYFILE_EXCL creates the temporary name exclusively (an existing name, link or not, fails the copy);
  // rename then replaces the target entry itself, never what a link there would point to.
  const temporary = join(dir, `.pot-task-driver-copy-${randomUUID()}`);
  try {
    await copyFile(copy.source, temporary, constants.COPYFILE_EXCL);
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw new DriverError("failed", `failed to copy ${copy.source} to ${copy.jailPath} (${copy.path}): ${describeError(err)}`, {
      cause: err,
    });
  }
}
