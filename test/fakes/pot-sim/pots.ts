// Which pots exist (common.sh `_is_pot`, `_get_pot_list`) and whether their jail does (the simulated `jls -j`).
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { confFile, getConfVar } from "./conf.ts";
import type { Sim } from "./context.ts";
import { jailRecordFile, jailRoot, mountTableFile, potDir } from "./paths.ts";
import { isAlive } from "./procs.ts";

/** pot's validity check; prints its message unless `quiet`. */
export function isPot(sim: Sim, pot: string, quiet = false): boolean {
  const say = (text: string) => {
    if (!quiet) sim.out.error(text);
  };
  if (pot === "" || !isDirectory(potDir(sim.paths, pot))) {
    say(`Pot ${pot} not found`);
    return false;
  }
  if (!isDirectory(jailRoot(sim.paths, pot)) || !existsSync(confFile(sim, pot))) {
    say(`Some component of the pot ${pot} is missing`);
    return false;
  }
  if (getConfVar(sim, pot, "pot.type") !== "single" && !existsSync(join(potDir(sim.paths, pot), "conf", "fscomp.conf"))) {
    say(`Some component of the pot ${pot} is missing`);
    return false;
  }
  return true;
}

/** `ls -d jails/*\/`: directory names, sorted, unvalidated. */
export function potList(sim: Sim): string[] {
  if (!isDirectory(sim.paths.jails)) return [];
  return readdirSync(sim.paths.jails, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The simulated jail: created by `pot start`, removed by `pot stop`. */
export interface JailRecord {
  jid: number;
  /** The `pot start` process and its identity. */
  startPid: number;
  startTicks: number | undefined;
  /** The jail's main process (the `/bin/sh -c` that execs pot.cmd), once spawned. */
  mainPid?: number;
  mainTicks?: number | undefined;
  /** A persistent jail outlives its command. */
  persistent: boolean;
}

export function readJail(sim: Sim, pot: string): JailRecord | null {
  try {
    return JSON.parse(readFileSync(jailRecordFile(sim.paths, pot), "utf8")) as JailRecord;
  } catch {
    return null;
  }
}

export function writeJail(sim: Sim, pot: string, record: JailRecord): void {
  writeFileSync(jailRecordFile(sim.paths, pot), JSON.stringify(record));
}

export function removeJail(sim: Sim, pot: string): void {
  rmSync(jailRecordFile(sim.paths, pot), { force: true });
  rmSync(mountTableFile(sim.paths, pot), { force: true });
}

/**
 * `jls -j <pot>`: the jail exists while its main process lives (a non-persistent jail vanishes with its
 * last process), while `pot start` is still setting it up, or, for a persistent jail, until it is stopped.
 */
export function isRunning(sim: Sim, pot: string): boolean {
  const record = readJail(sim, pot);
  if (record === null) return false;
  if (record.mainPid !== undefined) return record.persistent || isAlive(record.mainPid, record.mainTicks);
  return isAlive(record.startPid, record.startTicks);
}
