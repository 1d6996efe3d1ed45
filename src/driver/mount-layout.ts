// Where copies land and which mounts pot will accept (driver layer, pure). pot copies files into the pot's own
// file system before start, and start nullfs-mounts the task's directories and the job's mounts over it, so a
// copy under a mount point would vanish; pot mount-in also refuses some mounts with checks of its own
// (docs/pot-behaviour.md, "Mounts"). Both are decided here, before anything is created.
import type { CopyInOptions, MountInOptions } from "../pot/argv.ts";
import type { ConfigIssue } from "./config-schema.ts";

/** A mount of the plan and where it came from, for messages. */
export interface PlannedMount extends MountInOptions {
  /** The config path of the entry (`config.mount[0]`), absent for the task's own directories and volumes. */
  path?: string;
  /** What the mount is, in words ("config.mount[0]", "the task's local/ directory"). */
  what: string;
}

/** A copy that goes into the host directory mounted over its jail path, not into the pot. */
export interface HostCopy {
  /** The copy entry's config path, for errors. */
  path: string;
  source: string;
  jailPath: string;
  /** The host directory mounted at `mountPoint`. */
  hostDir: string;
  mountPoint: string;
  /** The jail path below the mount point ("conf/app.conf"). */
  relative: string;
}

export interface CopyEntry {
  path: string;
  hostPath: string;
  jailPath: string;
}

export interface CopyLayout {
  potCopies: CopyInOptions[];
  hostCopies: HostCopy[];
  issues: ConfigIssue[];
}

function normalise(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed.replace(/\/{2,}/g, "/");
}

function under(path: string, mountPoint: string): boolean {
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/**
 * Each copy goes into the pot (copy-in) unless a mount covers its jail path: then into the host directory
 * mounted there when that mount is writable, and refused when it is read-only or is the mount point itself.
 * The deepest covering mount counts (it is the one mounted on top).
 */
export function layoutCopies(copies: readonly CopyEntry[], mounts: readonly PlannedMount[]): CopyLayout {
  const layout: CopyLayout = { potCopies: [], hostCopies: [], issues: [] };
  for (const copy of copies) {
    const jailPath = normalise(copy.jailPath);
    const cover = mounts
      .filter((m) => under(jailPath, normalise(m.mountPoint)))
      .sort((a, b) => normalise(b.mountPoint).length - normalise(a.mountPoint).length)[0];
    const entry = `${copy.hostPath}:${copy.jailPath}`;
    if (cover === undefined) {
      layout.potCopies.push({ source: copy.hostPath, destination: copy.jailPath, createDirs: true });
      continue;
    }
    const mountPoint = normalise(cover.mountPoint);
    if (jailPath === mountPoint) {
      layout.issues.push({
        path: copy.path,
        message: `jail path ${jailPath} is where ${cover.what} is mounted; copy to a file below it`,
        value: entry,
      });
    } else if (cover.readOnly === true) {
      layout.issues.push({
        path: copy.path,
        message: `jail path ${jailPath} lies under the read-only mount at ${mountPoint} (${cover.what}), which would hide the copy; put the file into ${cover.dir} instead`,
        value: entry,
      });
    } else {
      layout.hostCopies.push({
        path: copy.path,
        source: copy.hostPath,
        jailPath,
        hostDir: cover.dir,
        mountPoint,
        relative: jailPath.slice(mountPoint.length + 1),
      });
    }
  }
  return layout;
}

/** A grep basic regular expression as a JS RegExp: `.`, `*`, `[]`, `^`, `$` keep their meaning; the rest is literal. */
function grepPattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern.replace(/[+?(){}|]/g, "\\$&"));
  } catch {
    return undefined;
  }
}

/**
 * Mounts pot would take differently from what the job says, reported on the job's own entries: a mount point
 * used twice (pot accepts it and the later mount hides the earlier), and a directory pot mount-in refuses as
 * "already used" because its check finds `<dir> ` anywhere in an earlier mount line, as a regular expression.
 */
export function mountIssues(mounts: readonly PlannedMount[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const lines: string[] = [];
  mounts.forEach((mount, index) => {
    const entry = `${mount.dir}:${mount.mountPoint}`;
    const mountPoint = normalise(mount.mountPoint);
    const earlier = mounts.slice(0, index).find((m) => normalise(m.mountPoint) === mountPoint);
    const pattern = grepPattern(`${mount.dir} `);
    const clash = pattern === undefined ? undefined : mounts.slice(0, index).find((_m, i) => pattern.test(lines[i] ?? ""));
    lines.push(`${mount.dir} ${mountPoint}${mount.readOnly === true ? " ro" : ""}`);
    if (mount.path === undefined) return;
    if (earlier !== undefined) {
      issues.push({ path: mount.path, message: `jail path ${mountPoint} is already the mount point of ${earlier.what}`, value: entry });
    } else if (clash !== undefined) {
      issues.push({
        path: mount.path,
        message: `host path ${mount.dir} is refused by pot mount-in as already used: it matches the mount of ${clash.dir} (${clash.what})`,
        value: entry,
      });
    }
  });
  return issues;
}
