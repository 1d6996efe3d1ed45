// Verbs that put host files into a pot: copy-in (a real copy into m/) and mount-in (fscomp.conf + symlink).
//
// Linux has no nullfs, so a mount is materialised as a symlink m/<mountpoint> → host directory at mount-in
// time. Writes through it reach the host directory as through a nullfs mount. A read-only mount is recorded
// as `ro` and shown read-only in the running jail's mount table; pot's own writes into it (copy-in) fail as on
// a read-only nullfs, but the jailed command's writes cannot be stopped. A mount of a directory over the very
// place an earlier mount already shows it (alloc/logs inside /alloc) needs no symlink: it only adds `ro`.
// What the jail had at a mount point is hidden, as under nullfs.
import {
  appendFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { Sim, Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { parseOptions } from "../options.ts";
import { confDir, jailRoot, mountTableFile, potDir } from "../paths.ts";
import { isDirectory, isPot, isRunning } from "../pots.ts";

/** The host path of an absolute path inside the pot. */
export function inJail(sim: Sim, pot: string, path: string): string {
  return join(jailRoot(sim.paths, pot), path.replace(/^\/+/, ""));
}

function randomSuffix(): string {
  return Array.from(
    { length: 8 },
    () => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 62)],
  ).join("");
}

/** `pot copy-in` (run under the global lock by the dispatcher). */
export const copyIn: Verb = (sim, args) => {
  let pot = "";
  let source = "";
  let destination = "";
  let force = false;
  let createDirs = false;
  parseOptions(sim, "copy-in", args, "hvs:d:p:Fc", (name, value) => {
    if (name === "p") pot = value;
    if (name === "s") source = value;
    if (name === "d") destination = value;
    if (name === "F") force = true;
    if (name === "c") createDirs = true;
  });
  const refuse = (message: string, help = true) => {
    sim.out.error(message);
    if (help) printHelp(sim.out, "copy-in");
    return 1;
  };
  if (pot === "") return refuse("A pot name is mandatory");
  if (source === "") return refuse("A source is mandatory");
  if (destination === "") return refuse("A destination is mandatory");
  if (!destination.startsWith("/")) return refuse("The destination has to be an absolute pathname", false);
  if (!isPot(sim, pot)) return refuse(`pot ${pot} is not valid`);
  let sourceStat: Stats;
  try {
    sourceStat = statSync(source);
  } catch {
    return refuse(`${source} not valid`);
  }
  if (!sourceStat.isFile() && !sourceStat.isDirectory()) return refuse(`${source} not valid`);
  if (isRunning(sim, pot) && !force) {
    sim.out.error("Copying files on a running pot is discouraged, it can partially expose the host file system to the jail");
    sim.out.info("Using the -F flag, the operation can be executed anyway, but we disagree");
    return 1;
  }
  const target = inJail(sim, pot, destination);
  if (readOnlyMountOf(sim, pot, destination) !== undefined) {
    // A read-only nullfs mount refuses cp's writes (pot mounts the pot's fscomps before copying in).
    sim.out.stderr(`cp: ${target}: Read-only file system`);
    sim.out.error(`Source ${source} NOT copied because of an error`);
    return 1;
  }
  if (createDirs) {
    try {
      mkdirSync(dirname(target), { recursive: true });
    } catch {
      sim.out.error(`Destination path ${destination} NOT created because of an error`);
      return 1;
    }
  }
  try {
    if (sourceStat.isFile()) {
      const finalTarget = isDirectory(target) ? join(target, source.split("/").at(-1) ?? "file") : target;
      if (!isDirectory(dirname(finalTarget))) throw new Error("no parent directory");
      cpSync(source, finalTarget, { preserveTimestamps: true, verbatimSymlinks: true });
    } else {
      const finalTarget = existsSync(target) ? join(target, `copy-in.${randomSuffix()}`) : target;
      if (!isDirectory(dirname(finalTarget))) throw new Error("no parent directory");
      cpSync(source, finalTarget, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
  } catch (err) {
    sim.out.stderr(`cp: ${String(err)}`);
    sim.out.error(`Source ${source} NOT copied because of an error`);
    return 1;
  }
  sim.out.debug(`Source ${source} copied in the pot ${pot}`);
  return 0;
};

function fscompFile(sim: Sim, pot: string): string {
  return join(confDir(sim.paths, pot), "fscomp.conf");
}

function fscompLines(sim: Sim, pot: string): string[] {
  const file = fscompFile(sim, pot);
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
    : [];
}

/** `pot mount-in`: only `-d` directories can be simulated; `-f`/`-z` name ZFS objects that never exist here. */
export const mountIn: Verb = (sim, args) => {
  let pot = "";
  let mountPoint = "";
  let dir = "";
  let fscomp = "";
  let dataset = "";
  let readOnly = false;
  let remount = false;
  parseOptions(sim, "mount-in", args, "hvf:d:z:p:m:wr", (name, value) => {
    if (name === "p") pot = value;
    if (name === "m") mountPoint = value;
    if (name === "d") dir = value;
    if (name === "f") fscomp = value;
    if (name === "z") dataset = value;
    if (name === "r") readOnly = true;
    if (name === "w") remount = true;
  });
  const refuse = (message: string, help = true) => {
    sim.out.error(message);
    if (help) printHelp(sim.out, "mount-in");
    return 1;
  };
  if (pot === "") return refuse("A pot name is mandatory");
  if (dir === "" && fscomp === "" && dataset === "") return refuse("One of -f|-d|-z option has to be used");
  if (fscomp !== "" && dir !== "") return refuse("-f and -d options are mutually exclusive");
  if (fscomp !== "" && dataset !== "") return refuse("-f and -z options are mutually exclusive");
  if (dir !== "" && dataset !== "") return refuse("-d and -z options are mutually exclusive");
  if (mountPoint === "") return refuse("A mount point is mandatory");
  if (/\s/.test(mountPoint)) return refuse("The mountpoint cannot contain spaces", false);
  if (!mountPoint.startsWith("/")) return refuse("The mount point has to be an absolute pathname", false);
  if (/^\/+$/.test(mountPoint)) return refuse("/ is not a valid mount point", false);
  if (remount && dir !== "" && !readOnly) return refuse("Remount cannot be used with directories, but with fscomp only");
  if (fscomp !== "") return refuse(`fscomp ${fscomp} is not valid`);
  if (dataset !== "") return refuse(`dataset ${dataset} is not valid`);
  if (!isDirectory(dir)) return refuse(`${dir} is not a directory`);
  const realDir = realpathSync(dir);
  const inside = realDir === potDir(sim.paths, pot) || realDir.startsWith(`${potDir(sim.paths, pot)}/`);
  // mount-in.sh's duplicate check is `grep -q "<dir> " fscomp.conf`: a regex, unanchored, so it also fires when
  // the directory appears inside another line (a longer path ending in it, or `.` matching any character).
  const used = greppable(`${realDir} `);
  if (inside || fscompLines(sim, pot).some((line) => used.test(line))) {
    return refuse(`Directory ${realDir} not valid, already used or already part of the pot`, false);
  }
  if (!isPot(sim, pot)) return refuse(`pot ${pot} is not valid`);
  // pot's "mount point already in use" check compares full host paths against fscomp.conf's jail-relative
  // mount points, so it never fires for a directory: a second mount at the same point is accepted and hides
  // the first at start, as a later nullfs mount does.
  const relative = `/${mountPoint.replace(/^\/+|\/+$/g, "")}`;
  const link = inJail(sim, pot, relative);
  const shown = resolvedOrUndefined(link);
  if (shown === realDir && lstatSync(link).isSymbolicLink() === false) {
    // An earlier mount already shows this directory here (alloc/logs inside /alloc): nullfs would mount it
    // over itself, changing only the options.
    appendFileSync(fscompFile(sim, pot), `${realDir} ${relative}${readOnly ? " ro" : ""}\n`);
    return 0;
  }
  const rootReal = resolvedOrUndefined(jailRoot(sim.paths, pot)) ?? jailRoot(sim.paths, pot);
  // The same mount point as an earlier mount is fine (the later mount hides it); a point inside another
  // mount's host directory is not.
  const atEarlierMountPoint = existsSync(link) && lstatSync(link).isSymbolicLink();
  if (!atEarlierMountPoint && shown !== undefined && shown !== rootReal && !shown.startsWith(`${rootReal}/`)) {
    sim.out.stderr(`pot-sim: ${relative} lies inside another mount (${shown}); pot-sim cannot mount over host directories`);
    sim.out.error(`Error mounting ${realDir} on ${pot}`);
    return 1;
  }
  try {
    mkdirSync(dirname(link), { recursive: true });
    hideUnderMount(sim, pot, relative, link);
    symlinkSync(realDir, link);
  } catch (err) {
    sim.out.stderr(`pot-sim: ${err instanceof Error ? err.message : String(err)}`);
    sim.out.error(`Error mounting ${realDir} on ${pot}`);
    return 1;
  }
  appendFileSync(fscompFile(sim, pot), `${realDir} ${relative}${readOnly ? " ro" : ""}\n`);
  return 0;
};

/**
 * A nullfs mount hides what the jail has at its mount point (files copied in before included) until it is
 * unmounted. Linux has no nullfs, so what is there is moved out of the jail root, to `<pot>/hidden/<point>`.
 */
function hideUnderMount(sim: Sim, pot: string, mountPoint: string, link: string): void {
  let stat: Stats;
  try {
    stat = lstatSync(link);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) {
    rmSync(link, { force: true });
    return;
  }
  if (stat.isDirectory() && readdirSync(link).length === 0) {
    rmdirSync(link);
    return;
  }
  const hidden = join(potDir(sim.paths, pot), "hidden", mountPoint.replace(/^\/+/, ""));
  mkdirSync(dirname(hidden), { recursive: true });
  rmSync(hidden, { recursive: true, force: true });
  renameSync(link, hidden);
}

/** A grep basic regular expression as a JS RegExp: `.`, `*`, `[]`, `^`, `$` keep their meaning; the rest is literal. */
export function greppable(pattern: string): RegExp {
  return new RegExp(pattern.replace(/[+?(){}|]/g, "\\$&"));
}

/** The directory mounts of a pot (`<host dir> <mountpoint> [ro]`), in pot's mount order, for start's mount step. */
export function directoryMounts(sim: Sim, pot: string): { source: string; mountPoint: string; readOnly: boolean }[] {
  return fscompLines(sim, pot)
    .map((line) => line.split(/\s+/))
    .filter((fields) => (fields[0] ?? "").startsWith("/"))
    .map((fields) => ({ source: fields[0] as string, mountPoint: fields[1] as string, readOnly: fields[2] === "ro" }));
}

/** The read-only mount point that `path` (in-jail) lies in or is, if any. */
export function readOnlyMountOf(sim: Sim, pot: string, path: string): string | undefined {
  const inside = `/${path.replace(/^\/+|\/+$/g, "")}`;
  return directoryMounts(sim, pot)
    .filter((mount) => mount.readOnly)
    .map((mount) => mount.mountPoint)
    .find((point) => inside === point || inside.startsWith(`${point}/`));
}

/** Writes the running jail's mount table (what `mount` would list), in mount order. */
export function writeMountTable(sim: Sim, pot: string): void {
  const lines = directoryMounts(sim, pot).map(
    (mount) => `${mount.source} on ${inJail(sim, pot, mount.mountPoint)} (nullfs, ${mount.readOnly ? "read-only" : "local"})`,
  );
  writeFileSync(mountTableFile(sim.paths, pot), lines.length === 0 ? "" : `${lines.join("\n")}\n`);
}

/** The real path `path` leads to, or undefined when it does not exist. */
export function resolvedOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
