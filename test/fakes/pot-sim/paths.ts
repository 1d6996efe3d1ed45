// Where the simulator keeps its state: everything lives under $POT_SIM_ROOT (pot's POT_FS_ROOT and more).
import { join } from "node:path";

export interface SimPaths {
  /** POT_FS_ROOT: `jails/<pot>/{m,conf}` below it. */
  root: string;
  jails: string;
  /** POT_TMP: status files, main pid files, per-pot lock files, the global lock file. */
  tmp: string;
  /** POT_CACHE: downloaded images. */
  cache: string;
  /** Private bridges: `bridges/<name>` with `net=`/`gateway=`/`name=` lines. */
  bridges: string;
  /** The simulated kernel's jail table: `run/<pot>.json` while the jail exists. */
  run: string;
  /** The global lock (pot uses /tmp/pot-lock-file; kept inside the root so simulators do not share it). */
  globalLock: string;
  /** One JSON line per invocation. */
  invocationsLog: string;
  /** Failure injection, re-read at every invocation. */
  knobsFile: string;
  /** How often each knob has fired (for `times`). */
  knobCounters: string;
}

export function simPaths(root: string): SimPaths {
  const tmp = join(root, "tmp");
  return {
    root,
    jails: join(root, "jails"),
    tmp,
    cache: join(root, "cache"),
    bridges: join(root, "bridges"),
    run: join(root, "run"),
    globalLock: join(tmp, "pot-lock-file"),
    invocationsLog: join(root, "invocations.log"),
    knobsFile: join(root, "knobs.json"),
    knobCounters: join(tmp, "pot-sim-knob-counters.json"),
  };
}

export function potDir(paths: SimPaths, pot: string): string {
  return join(paths.jails, pot);
}

export function jailRoot(paths: SimPaths, pot: string): string {
  return join(paths.jails, pot, "m");
}

export function confDir(paths: SimPaths, pot: string): string {
  return join(paths.jails, pot, "conf");
}

export function statusFile(paths: SimPaths, pot: string): string {
  return join(paths.tmp, `pot_status_${pot}`);
}

export function mainPidFile(paths: SimPaths, pot: string): string {
  return join(paths.tmp, `pot_main_pid_${pot}`);
}

export function potLockFile(paths: SimPaths, pot: string): string {
  return join(paths.tmp, `pot-lock-${pot}`);
}

export function jailRecordFile(paths: SimPaths, pot: string): string {
  return join(paths.run, `${pot}.json`);
}

/**
 * The simulated `mount` table of a pot's jail: one line per nullfs mount, `(nullfs, read-only)` when ro. Present
 * from `pot start`'s mounts until `pot stop` unmounts them; while it exists the dataset is busy (destroy fails).
 */
export function mountTableFile(paths: SimPaths, pot: string): string {
  return join(paths.run, `${pot}.mounts`);
}
