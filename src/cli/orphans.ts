// `pot-task-driver orphans`: lists, and on request destroys, pots and task bundles no known task owns (cli layer).
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { defaultPluginConfig } from "../driver/plugin-config.ts";
import { describeError } from "../log/logger.ts";
import { isDriverPotName } from "../pot/naming.ts";
import { PotCli, silentLogger } from "../pot/pot-cli.ts";
import { type CommandRunner, SpawnRunner } from "../pot/runner.ts";
import { destroyPot } from "../driver/destroy-pot.ts";
import { removeBundle } from "../supervisor/bundle.ts";
import { readBundleFacts } from "./bundle-facts.ts";
import type { Prompter } from "./confirm.ts";
import { type Orphan, type OrphanPlan, planOrphans } from "./orphan-plan.ts";
import { commandOptions } from "./options.ts";
import { runCommand } from "./run-command.ts";
import { renderTable } from "./table.ts";

export const ORPHANS_USAGE = `usage: pot-task-driver orphans [--pot-path P] [--state-dir D] [--destroy] [--yes] [--min-age SECONDS]

Lists pots named like the driver's (<task>_<invocation>_<alloc>) that no task bundle in <state_dir>/tasks/
owns, or whose task has ended (exit recorded, supervisor gone), and bundles whose pot no longer exists.
--destroy asks on the terminal before each one (y/N) and then runs pot destroy -F -p <pot> and removes the
bundle; --yes destroys without asking. Pots that changed in the last --min-age seconds (default 600) are
skipped: a task being started has its pot before its bundle. Exit status: 0 when everything asked for was
done, 1 otherwise, 2 for bad arguments.
`;

const DEFAULT_MIN_AGE_S = 600;
const COMMAND_TIMEOUT_MS = 30_000;

export interface OrphansIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stdin is a terminal someone can answer on. */
  stdinIsTty: boolean;
  /** Created on the first question only. */
  prompter: () => Prompter;
  runner?: CommandRunner;
  now?: () => number;
}

/** Runs `orphans` with the words after it; resolves with the process exit code. */
export async function orphansCommand(argv: readonly string[], io: OrphansIo): Promise<number> {
  const specs = { "pot-path": "value", "state-dir": "value", destroy: "flag", yes: "flag", "min-age": "value" } as const;
  const parsed = commandOptions("orphans", argv, specs, ORPHANS_USAGE, io);
  if (!parsed.ok) return parsed.exitCode;
  const { values, flags } = parsed.options;
  const minAgeS = values["min-age"] === undefined ? DEFAULT_MIN_AGE_S : Number(values["min-age"]);
  if (!Number.isFinite(minAgeS) || minAgeS < 0) {
    io.stderr(`pot-task-driver orphans: --min-age needs a number of seconds ≥ 0\n`);
    return 2;
  }
  if (flags.yes && !flags.destroy) {
    io.stderr("pot-task-driver orphans: --yes only makes sense with --destroy\n");
    return 2;
  }
  const defaults = defaultPluginConfig();
  const potPath = values["pot-path"] ?? defaults.potPath;
  const stateDir = values["state-dir"] ?? defaults.stateDir;
  const runner = io.runner ?? new SpawnRunner();
  const pot = new PotCli(potPath, runner, { logger: silentLogger() });
  const now = io.now ?? Date.now;

  let plan: OrphanPlan;
  try {
    plan = await survey(pot, runner, stateDir, minAgeS * 1000, now);
  } catch (err) {
    io.stderr(`pot-task-driver orphans: ${describeError(err)}\n`);
    return 1;
  }
  io.stdout(await renderPlan(plan, pot, stateDir, minAgeS));
  if (!flags.destroy || plan.orphans.length === 0) return 0;

  if (!flags.yes && !io.stdinIsTty) {
    io.stderr(
      "pot-task-driver orphans: refusing to destroy: stdin is not a terminal, so nothing can be confirmed; " +
        "re-run on a terminal, or add --yes to destroy everything listed above\n",
    );
    return 1;
  }
  let prompter: Prompter | undefined;
  let failures = 0;
  try {
    for (const orphan of plan.orphans) {
      if (!flags.yes) {
        prompter ??= io.prompter();
        const question =
          orphan.kind === "pot"
            ? `destroy pot ${orphan.potName} (${orphan.reason})? [y/N] `
            : `remove bundle ${orphan.bundleId} (${orphan.reason})? [y/N] `;
        if (!(await prompter.confirm(question))) {
          io.stdout(`kept ${describeOrphan(orphan)}\n`);
          continue;
        }
      }
      const outcome = await destroyOrphan(orphan, pot, stateDir).catch((err: unknown) => ({ ok: false, text: describeError(err) }));
      if (outcome.ok) io.stdout(`${outcome.text}\n`);
      else {
        failures++;
        io.stderr(`failed to remove ${describeOrphan(orphan)}: ${outcome.text}\n`);
      }
    }
  } finally {
    prompter?.close();
  }
  return failures === 0 ? 0 : 1;
}

/** Lists pots and bundles, learns the age of unowned driver pots, and plans. */
async function survey(pot: PotCli, runner: CommandRunner, stateDir: string, minAgeMs: number, now: () => number): Promise<OrphanPlan> {
  const pots = await pot.list();
  // Bundles after pots: a task started in between has its pot listed and its bundle seen, never the reverse.
  const bundles = await readBundleFacts(stateDir);
  const potAgesMs = new Map<string, number>();
  const candidates = pots.filter(isDriverPotName);
  if (candidates.length > 0) {
    const fsRoot = await runCommand(runner, [pot.potPath, "config", "-q", "-g", "fs_root"], COMMAND_TIMEOUT_MS);
    const root = fsRoot.exitCode === 0 ? fsRoot.stdout.trim() : "";
    if (root.startsWith("/")) {
      await Promise.all(
        candidates.map(async (name) => {
          const changed = await lastChangeMs(join(root, "jails", name));
          if (changed !== undefined) potAgesMs.set(name, Math.max(0, now() - changed));
        }),
      );
    }
  }
  return planOrphans({ pots, bundles, potAgesMs, minAgeMs });
}

/** Newest mtime of a pot's directory and its conf files (set-* commands rewrite pot.conf, mount-in fscomp.conf). */
async function lastChangeMs(potDir: string): Promise<number | undefined> {
  const times = await Promise.all(
    [potDir, join(potDir, "conf"), join(potDir, "conf", "pot.conf"), join(potDir, "conf", "fscomp.conf")].map((path) =>
      stat(path).then(
        (s) => s.mtimeMs,
        () => undefined,
      ),
    ),
  );
  const known = times.filter((time): time is number => time !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

async function renderPlan(plan: OrphanPlan, pot: PotCli, stateDir: string, minAgeS: number): Promise<string> {
  const checked = `${count(plan.driverPots, "driver pot")}, ${count(plan.bundles, "bundle")} in ${stateDir}/tasks`;
  let out = "";
  if (plan.orphans.length === 0) out += `no orphans (${checked})\n`;
  else {
    const rows = await Promise.all(
      plan.orphans.map(async (orphan): Promise<string[]> => {
        if (orphan.kind === "bundle") return ["bundle", orphan.bundleId, "-", orphan.reason];
        const running = await pot.isRunning(orphan.potName).catch(() => undefined);
        const state = running === undefined ? "?" : running ? "running" : "stopped";
        const reason =
          running && orphan.bundleDirs.length === 0
            ? `${orphan.reason}; its jail runs (nomad-pot-driver names pots the same way)`
            : orphan.reason;
        return ["pot", orphan.potName, state, reason];
      }),
    );
    out += renderTable(["KIND", "NAME", "STATE", "REASON"], rows);
    out += `${count(plan.orphans.length, "orphan")} (${checked})\n`;
  }
  if (plan.skippedYoung.length > 0) {
    const skipped = count(plan.skippedYoung.length, "unowned pot");
    out += `skipped ${skipped} changed in the last ${minAgeS} s or of unknown age: ${plan.skippedYoung.join(", ")}\n`;
  }
  return out;
}

/** "1 bundle", "2 bundles". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function describeOrphan(orphan: Orphan): string {
  return orphan.kind === "pot" ? `pot ${orphan.potName}` : `bundle ${orphan.bundleId}`;
}

/**
 * Destroys one orphan after checking again that it still is one: a pot must still have no bundle that a live
 * (or unknown) supervisor or a new task holds; a bundle's pot must still be missing and its supervisor gone.
 */
async function destroyOrphan(orphan: Orphan, pot: PotCli, stateDir: string): Promise<{ ok: boolean; text: string }> {
  const bundles = await readBundleFacts(stateDir);
  if (orphan.kind === "pot") {
    const known = new Set(orphan.bundleDirs);
    const claim = bundles.find(
      (bundle) => bundle.potName === orphan.potName && (!known.has(bundle.bundleDir) || bundle.supervisor !== "gone"),
    );
    if (claim !== undefined) return { ok: false, text: `bundle ${claim.bundleId} now names it; left alone` };
    // No live supervisor claims the pot, so no pot start of it runs: a pot it left half-started may be released.
    const released: string[] = [];
    const outcome = await destroyPot(pot, orphan.potName, () => {}, { startGone: () => true, onRelease: (what) => released.push(what) });
    for (const dir of orphan.bundleDirs) await removeBundle(dir);
    const removed = orphan.bundleDirs.length === 0 ? "" : ` and removed ${count(orphan.bundleDirs.length, "bundle")}`;
    const before = released.length === 0 ? "" : ` (${released.join("; ")})`;
    return { ok: true, text: `${outcome === "destroyed" ? "destroyed" : "already gone:"} pot ${orphan.potName}${removed}${before}` };
  }
  const current = bundles.find((bundle) => bundle.bundleDir === orphan.bundleDir);
  if (current === undefined) return { ok: true, text: `already gone: bundle ${orphan.bundleId}` };
  if (current.supervisor !== "gone") {
    return { ok: false, text: `its supervisor (pid ${current.supervisorPid ?? "?"}) runs again; left alone` };
  }
  if (orphan.potName !== undefined && (await pot.exists(orphan.potName))) {
    return { ok: false, text: `pot ${orphan.potName} exists again; left alone` };
  }
  await removeBundle(orphan.bundleDir);
  return { ok: true, text: `removed bundle ${orphan.bundleId}` };
}
