// Failure injection: knobs from $POT_SIM_KNOBS and $POT_SIM_ROOT/knobs.json, re-read at every invocation.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Sim } from "./context.ts";
import { withLock } from "./lock.ts";
import { exit } from "./output.ts";

/**
 * One injected behaviour for a verb.
 * - fail: print `###>  <message>` (and `stderr`), exit `exitCode` (default 1) without doing anything;
 * - exit: print `stdout`/`stderr` as given, exit `exitCode` (default 0) without doing anything;
 * - hang: print `stdout`, then sleep until killed;
 * - delay: sleep `delayMs`, then behave normally;
 * - ignoring (prepare only): the listed `steps` fail with pot's "… - ignoring" message, prepare still exits 0.
 * `times` limits the knob to the first N matching invocations; `pot` limits it to invocations whose `-p` value
 * (or first operand, as `start <pot>` takes it) equals it; for prepare and import that is the image name.
 */
export interface Knob {
  action: "fail" | "exit" | "hang" | "delay" | "ignoring";
  exitCode?: number;
  message?: string;
  stdout?: string;
  stderr?: string;
  delayMs?: number;
  times?: number;
  pot?: string;
  steps?: PrepareStep[];
}

export const PREPARE_STEPS = [
  "set-cmd",
  "persistent",
  "no-rc-script",
  "prunable",
  "localhost-tunnel",
  "no-etc-hosts",
  "no-tmpfs",
  "export-ports",
] as const;
export type PrepareStep = (typeof PREPARE_STEPS)[number];

/** Knobs by verb name (as typed, e.g. `ls`, or canonical, e.g. `list`). */
export type KnobTable = Record<string, Knob | Knob[]>;

function parseTable(text: string, origin: string): KnobTable {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as KnobTable;
  } catch {
    // fall through
  }
  throw new Error(`pot-sim: ${origin} is not a JSON object of knobs`);
}

/** The file's entries override the environment's for the same verb. */
export function loadKnobs(sim: Sim): KnobTable {
  const fromEnv = sim.env.POT_SIM_KNOBS ? parseTable(sim.env.POT_SIM_KNOBS, "POT_SIM_KNOBS") : {};
  const fromFile = existsSync(sim.paths.knobsFile) ? parseTable(readFileSync(sim.paths.knobsFile, "utf8"), sim.paths.knobsFile) : {};
  return { ...fromEnv, ...fromFile };
}

/** The pot an invocation is about: `-p`'s value, else the first operand (start/stop accept that). */
export function targetPot(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === "--") break;
    if (/^-[A-Za-z]*p$/.test(word)) return args[i + 1];
    if (/^-[A-Za-z]*p.+$/.test(word)) return word.slice(word.indexOf("p") + 1);
  }
  return args.find((word) => !word.startsWith("-"));
}

/** Picks the first knob for this invocation that still has budget, counting it. */
export async function selectKnob(sim: Sim, names: readonly string[], args: readonly string[]): Promise<Knob | undefined> {
  const table = loadKnobs(sim);
  const pot = targetPot(args);
  for (const name of names) {
    const entry = table[name];
    if (entry === undefined) continue;
    const knobs = Array.isArray(entry) ? entry : [entry];
    for (const [index, knob] of knobs.entries()) {
      if (knob.pot !== undefined && knob.pot !== pot) continue;
      if (knob.times === undefined) return knob;
      const key = `${name}#${index}`;
      const fired = await withLock(`${sim.paths.knobCounters}.lock`, () => {
        const counters = existsSync(sim.paths.knobCounters)
          ? (JSON.parse(readFileSync(sim.paths.knobCounters, "utf8")) as Record<string, number>)
          : {};
        const used = counters[key] ?? 0;
        if (used >= (knob.times ?? 0)) return false;
        counters[key] = used + 1;
        writeFileSync(sim.paths.knobCounters, JSON.stringify(counters));
        return true;
      });
      if (fired) return knob;
    }
  }
  return undefined;
}

/** Applies a knob that replaces or delays the verb; returns the knob when the verb should still run. */
export async function applyKnob(sim: Sim, knob: Knob): Promise<Knob | undefined> {
  switch (knob.action) {
    case "fail":
      if (knob.stdout !== undefined) sim.out.raw(knob.stdout);
      sim.out.error(knob.message ?? "pot-sim: injected failure");
      if (knob.stderr !== undefined) sim.out.stderr(knob.stderr);
      return exit(knob.exitCode ?? 1);
    case "exit":
      if (knob.stdout !== undefined) sim.out.raw(knob.stdout);
      if (knob.stderr !== undefined) sim.out.stderr(knob.stderr);
      return exit(knob.exitCode ?? 0);
    case "hang":
      if (knob.stdout !== undefined) sim.out.raw(knob.stdout);
      // Never settles: the process stays until it is killed.
      return await new Promise<never>(() => {
        setInterval(() => {}, 1 << 30);
      });
    case "delay":
      await Bun.sleep(knob.delayMs ?? 0);
      return undefined;
    case "ignoring":
      return knob;
  }
}

/**
 * A timing of the simulated pot taken from a `delay` knob named `name` (e.g. `start-settle`, `image-fetch`),
 * or `defaultMs` when no such knob applies to this invocation.
 */
export async function knobTimingMs(sim: Sim, name: string, args: readonly string[], defaultMs: number): Promise<number> {
  const knob = await selectKnob(sim, [name], args);
  return knob?.action === "delay" && knob.delayMs !== undefined ? knob.delayMs : defaultMs;
}
