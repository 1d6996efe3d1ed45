// What a simulator world still holds after a scenario (pots, bundles, processes, plugin fds and RSS), plus knob control.
import type { KnobTable } from "../fakes/pot-sim/knobs.ts";
import { readInvocations, writeKnobs } from "../fakes/simulator.ts";
import type { InvocationRecord } from "../fakes/pot-sim/record.ts";
import { TIMEOUT_MULTIPLIER } from "../setup.ts";
import { fdCount, processes, rssKb, zombieChildren } from "./host.ts";
import { IMAGE_NAME, IMAGE_TAG, simPots, bundles, type SimWorld } from "./sim-world.ts";

/** The imported image pot every prepare clones from; it stays, as pot's image cache does. */
export const IMAGE_POT = `${IMAGE_NAME}_${IMAGE_TAG}`.replaceAll(".", "_");

/** The world's simulator knobs: writeKnobs (test/fakes/simulator.ts). */
export function setKnobs(world: SimWorld, table: KnobTable): void {
  writeKnobs(world.simRoot, table);
}

/** Every pot invocation the world's simulator recorded so far, in order. */
export function invocations(world: SimWorld): InvocationRecord[] {
  return readInvocations(world.simRoot);
}

export function countVerb(world: SimWorld, verb: string): number {
  return invocations(world).filter((i) => i.argv[0] === verb).length;
}

export interface StrayProcess {
  pid: number;
  cmdline: string;
}

/**
 * Live processes tied to the world: its root dir in their argv (supervisors, FIFO readers, jailed commands run
 * from the jail root) or in their environment (every pot invocation carries POT_SIM_ROOT, every jailed command
 * POT_SIM_JAIL_ROOT). `except` lists pids that are allowed (the running plugin, live log readers).
 */
export function strayProcesses(world: SimWorld, except: readonly number[] = []): StrayProcess[] {
  const allowed = new Set([process.pid, ...except]);
  return processes()
    .filter((p) => !allowed.has(p.pid) && (p.args.includes(world.root) || p.environ.includes(world.root)))
    .map((p) => ({ pid: p.pid, cmdline: p.args }));
}

export { fdCount, rssKb, zombieChildren };

/**
 * A process's RSS once it has been idle for a while: Bun hands freed heap pages back to the system about ten
 * seconds after the work stops, so RSS right after a burst says more about GC timing than about what is still
 * held. Samples every 250 ms over `windowMs` and returns the lowest value (KiB).
 */
export async function idleRssKb(pid: number, windowMs = 15_000): Promise<number> {
  const end = Date.now() + windowMs;
  let lowest = rssKb(pid);
  while (Date.now() < end) {
    await Bun.sleep(250);
    lowest = Math.min(lowest, rssKb(pid));
  }
  return lowest;
}

export interface Residue {
  pots: string[];
  bundles: string[];
  processes: StrayProcess[];
}

/** Pots other than the image cache, bundles, and stray processes of the world. */
export function residue(world: SimWorld, except: readonly number[] = []): Residue {
  return {
    pots: simPots(world).filter((pot) => pot !== IMAGE_POT),
    bundles: bundles(world),
    processes: strayProcesses(world, except),
  };
}

export function isClean(r: Residue): boolean {
  return r.pots.length === 0 && r.bundles.length === 0 && r.processes.length === 0;
}

/**
 * Polls until the world holds nothing but the image pot (processes take a moment to exit after a destroy),
 * then returns; on the deadline, throws with whatever is left.
 */
export async function untilClean(world: SimWorld, except: readonly number[] = [], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs * TIMEOUT_MULTIPLIER;
  for (;;) {
    const r = residue(world, except);
    if (isClean(r)) return;
    if (Date.now() > deadline) throw new Error(`left behind: ${JSON.stringify(r, null, 2)}`);
    await Bun.sleep(50);
  }
}

/** Polls until the plugin's fd count is at most `limit`; returns the last count seen (the caller asserts). */
export async function settledFdCount(pid: number, limit: number, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs * TIMEOUT_MULTIPLIER;
  for (;;) {
    const count = fdCount(pid);
    if (count <= limit || Date.now() > deadline) return count;
    await Bun.sleep(50);
  }
}

/** Prints one summary line in a fixed shape, so the figures can be quoted. */
export function report(line: string): void {
  process.stderr.write(`${line}\n`);
}
