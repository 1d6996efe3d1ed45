// Test harness for the pot simulator: a fresh POT_SIM_ROOT, a loopback image server, knobs and the call log.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFileServer, type FileServer } from "./file-server.ts";
import { buildPotImage, exportedPotConf, type BuiltImage, type PotImageSpec } from "./pot-image.ts";
import type { KnobTable } from "./pot-sim/knobs.ts";
import type { InvocationRecord } from "./pot-sim/record.ts";

/** The simulator executable (POSIX sh wrapper around pot-sim/main.ts). */
export const SIM_POT_PATH = join(import.meta.dir, "pot");

/** One word for a POSIX shell ('…' with embedded quotes escaped). */
function shQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Installs a simulated pot at `<binDir>/pot` whose settings (POT_SIM_ROOT, …) are fixed in the file, as real
 * pot reads its configuration from etc/pot/pot.conf beside it: callers that pass pot no environment (the
 * driver gives every child a minimal one) still reach this simulator's state. A variable the caller does set
 * wins, so tests can still vary one per call. Returns the executable's path.
 */
export function installSimPot(binDir: string, settings: Readonly<Record<string, string>>): string {
  mkdirSync(binDir, { recursive: true });
  const path = join(binDir, "pot");
  const lines = ["#!/bin/sh", "# pot simulator with fixed settings (test/fakes/simulator.ts installSimPot)"];
  for (const [name, value] of Object.entries(settings)) {
    if (!/^POT_SIM_[A-Z_]+$/.test(name)) throw new Error(`installSimPot: ${name} is not a simulator setting`);
    lines.push(`: \${${name}:=${shQuote(value)}}`, `export ${name}`);
  }
  lines.push(`exec ${shQuote(SIM_POT_PATH)} "$@"`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  chmodSync(path, 0o755);
  const root = settings.POT_SIM_ROOT;
  if (root !== undefined) writeSimPotConf(join(binDir, ".."), root);
  return path;
}

/**
 * `<prefix>/etc/pot/pot.default.conf` for a simulated pot installed at `<prefix>/bin/pot`: where pot keeps its
 * state (POT_FS_ROOT, POT_TMP), which the driver reads to find the status and main pid files without running
 * pot (docs/pot-behaviour.md). The paths are the simulator's, under its root.
 */
export function writeSimPotConf(prefix: string, root: string): void {
  const etc = join(prefix, "etc", "pot");
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, "pot.default.conf"), `POT_FS_ROOT=${shQuote(root)}\nPOT_TMP=${shQuote(join(root, "tmp"))}\n`);
}

/**
 * Replaces `<root>/knobs.json`, which every later pot invocation reads (null removes it), and resets the knobs'
 * `times` counters, which count for the table they were written with.
 */
export function writeKnobs(root: string, knobs: KnobTable | null): void {
  rmSync(join(root, "tmp", "pot-sim-knob-counters.json"), { force: true });
  const file = join(root, "knobs.json");
  if (knobs === null) rmSync(file, { force: true });
  else writeFileSync(file, JSON.stringify(knobs));
}

/** Every pot invocation the simulator rooted at `root` recorded so far, in order (`<root>/invocations.log`). */
export function readInvocations(root: string): InvocationRecord[] {
  const file = join(root, "invocations.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as InvocationRecord);
}

export interface Simulator {
  potPath: string;
  /** POT_SIM_ROOT. */
  root: string;
  /** Environment to give every pot process. */
  env: { POT_SIM_ROOT: string };
  /** Base URL of the image server (http://127.0.0.1:<port>). */
  imageUrl: string;
  server: FileServer;
  /** Builds an image into the served directory. */
  addImage(spec: PotImageSpec): Promise<BuiltImage>;
  /** writeKnobs for this simulator. */
  setKnobs(knobs: KnobTable | null): void;
  /** readInvocations for this simulator. */
  invocations(): InvocationRecord[];
  jailRoot(potName: string): string;
  close(): Promise<void>;
}

/** A ready simulator: root initialised, images dir served on 127.0.0.1; `images` are built up front. */
export async function startSimulator(options: { images?: PotImageSpec[] } = {}): Promise<Simulator> {
  const work = mkdtempSync(join(tmpdir(), "pot-sim-"));
  const root = join(work, "root");
  const images = join(work, "images");
  mkdirSync(images, { recursive: true });
  for (const spec of options.images ?? []) await buildPotImage(images, spec);
  const server = startFileServer(images);
  const init = Bun.spawnSync([SIM_POT_PATH, "init"], { env: { ...process.env, POT_SIM_ROOT: root } });
  if (init.exitCode !== 0) {
    await server.stop();
    throw new Error(`pot init failed: ${init.stdout.toString()}${init.stderr.toString()}`);
  }
  return {
    potPath: installSimPot(join(work, "bin"), { POT_SIM_ROOT: root }),
    root,
    env: { POT_SIM_ROOT: root },
    imageUrl: server.url,
    server,
    addImage: (spec) => buildPotImage(images, spec),
    setKnobs: (knobs) => writeKnobs(root, knobs),
    invocations: () => readInvocations(root),
    jailRoot: (potName) => join(root, "jails", potName, "m"),
    close: async () => {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export { exportedPotConf };
