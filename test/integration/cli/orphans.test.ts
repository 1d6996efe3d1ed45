// `pot-task-driver orphans` run as the compiled executable against the pot simulator: pots prepared from a served
// image, task bundles made by the real supervisor, listing, refusal without a terminal, y/N answers on a real
// pseudo-terminal, and --yes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PotCli, silentLogger } from "../../../src/pot/pot-cli.ts";
import { potNameForTask } from "../../../src/pot/naming.ts";
import { SpawnRunner } from "../../../src/pot/runner.ts";
import { BUNDLE_VERSION, bundleDirFor, createBundle } from "../../../src/supervisor/bundle.ts";
import { launch, type SupervisedProcess } from "../../../src/supervisor/client.ts";
import { exportedPotConf, startSimulator, type Simulator } from "../../fakes/simulator.ts";
import { TIMEOUT_MULTIPLIER } from "../../setup.ts";
import { type CommandRun, runToEnd } from "../../support/command.ts";
import { waitFor } from "../../support/wait.ts";
import { ensureBinary } from "../../support/plugin.ts";

const DEADLINE_MS = 30_000 * TIMEOUT_MULTIPLIER;
const IMAGE = { name: "orphan-img", tag: "1.0" };

/** One task as the driver would have created it. */
function task(taskName: string, invocationId: string, allocId: string) {
  const naming = potNameForTask({ allocId, taskName, invocationId });
  return { taskId: `${allocId}/${taskName}/${invocationId}`, ...naming };
}

// pot ls lists names sorted, so the pots come in this order: api, job, web.
const API = task("api", "a1a1a1a1", "11111111-1111-4111-8111-111111111111"); // no bundle
const JOB = task("job", "b2b2b2b2", "22222222-2222-4222-8222-222222222222"); // task ended
const WEB = task("web", "c3c3c3c3", "33333333-3333-4333-8333-333333333333"); // running
const GONE = task("gone", "d4d4d4d4", "44444444-4444-4444-8444-444444444444"); // bundle only

let sim: Simulator;
let pot: PotCli;
let binary: string;
let work: string;
let stateDir: string;
let web: SupervisedProcess | undefined;

function supervise(t: ReturnType<typeof task>): Promise<SupervisedProcess> {
  return launch({
    stateDir,
    taskId: t.taskId,
    argv: [sim.potPath, "start", "-p", t.potName],
    stdoutPath: join(work, `${t.prepareName}.out`),
    stderrPath: join(work, `${t.prepareName}.err`),
    env: { ...process.env, ...sim.env },
  });
}

beforeAll(async () => {
  binary = await ensureBinary();
  sim = await startSimulator({
    images: [
      {
        ...IMAGE,
        potConf: exportedPotConf(),
        files: {
          "/usr/local/bin/serve": { mode: 0o755, content: "#!/bin/sh\necho serving\nwhile :; do sleep 1 & wait $!; done\n" },
          "/usr/local/bin/done": { mode: 0o755, content: "#!/bin/sh\necho done\nexit 0\n" },
        },
      },
    ],
  });
  pot = new PotCli(sim.potPath, new SpawnRunner(), { env: sim.env, logger: silentLogger() });
  work = mkdtempSync(join(tmpdir(), "orphans-"));
  stateDir = join(work, "state");
  mkdirSync(stateDir, { mode: 0o700 });

  for (const [t, command] of [
    [API, "/usr/local/bin/serve"],
    [JOB, "/usr/local/bin/done"],
    [WEB, "/usr/local/bin/serve"],
  ] as const) {
    await pot.prepare({
      imageUrl: sim.imageUrl,
      imageName: IMAGE.name,
      tag: IMAGE.tag,
      name: t.prepareName,
      allocId: t.prepareAllocId,
      command,
    });
  }
  // job: its task ran and ended; the supervisor recorded the exit and is gone.
  const job = await supervise(JOB);
  expect((await job.exited).kind).toBe("exited");
  // web: its task runs.
  web = await supervise(WEB);
  await waitFor("web's jail", () => pot.isRunning(WEB.potName), 30_000);
  // gone: a bundle whose pot was destroyed, with no supervisor.
  await createBundle(
    stateDir,
    {
      version: BUNDLE_VERSION,
      taskId: GONE.taskId,
      argv: [sim.potPath, "start", "-p", GONE.potName],
      stdoutPath: "/dev/null",
      stderrPath: "/dev/null",
      createdAt: new Date().toISOString(),
      launchToken: "gone-token",
    },
    "",
  );
}, DEADLINE_MS * 2);

afterAll(async () => {
  web?.kill();
  if (web) await web.exited;
  await pot?.destroy(WEB.potName, { force: true }).catch(() => undefined);
  await sim?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function orphans(args: string[], stdin: "ignore" | "pipe" = "ignore"): Promise<CommandRun> {
  return runToEnd([binary, "orphans", "--pot-path", sim.potPath, "--state-dir", stateDir, ...args], {
    env: sim.env,
    timeoutMs: DEADLINE_MS,
    // Answers on a pipe must not be read as confirmation.
    ...(stdin === "pipe" ? { input: "y\ny\ny\n" } : {}),
  });
}

const bundleOf = (t: ReturnType<typeof task>) => bundleDirFor(stateDir, t.taskId);

/** The table rows (KIND NAME STATE REASON) of a listing. */
function rows(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((line) => /^(pot|bundle) /.test(line))
    .map((line) => {
      const [kind, name, state, ...reason] = line.split(/ {2,}/);
      return [kind as string, name as string, state as string, reason.join("  ")];
    });
}

describe("orphans against the simulator", () => {
  test(
    "lists the unowned pot, the ended task's pot and the bundle without a pot; not the running task or the image",
    async () => {
      const run = await orphans(["--min-age", "0"]);
      expect(run.stderr).toBe("");
      expect(rows(run.stdout)).toEqual([
        ["pot", API.potName, "stopped", "no task bundle names it"],
        ["pot", JOB.potName, "stopped", "its task has ended (exit recorded, supervisor gone)"],
        ["bundle", bundleOf(GONE).split("/").at(-1) as string, "-", `its pot ${GONE.potName} no longer exists`],
      ]);
      expect(run.stdout).toContain(`3 orphans (3 driver pots, 3 bundles in ${stateDir}/tasks)`);
      expect(run.exitCode).toBe(0);
      expect(await pot.list()).toEqual(expect.arrayContaining([API.potName, JOB.potName, WEB.potName, "orphan-img_1_0"]));
    },
    DEADLINE_MS,
  );

  test(
    "by default, pots of unknown or recent age are skipped, not listed",
    async () => {
      // The simulator has no `pot config`, so the pots' age cannot be learnt.
      const run = await orphans([]);
      expect(rows(run.stdout).map((row) => row[0])).toEqual(["bundle"]);
      expect(run.stdout).toContain(`skipped 2 unowned pots changed in the last 600 s or of unknown age: ${API.potName}, ${JOB.potName}`);
      expect(run.exitCode).toBe(0);
    },
    DEADLINE_MS,
  );

  test.each(["ignore", "pipe"] as const)(
    "--destroy without --yes and stdin not a terminal (%s) refuses, destroys nothing, does not hang",
    async (stdin) => {
      const run = await orphans(["--min-age", "0", "--destroy"], stdin);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toContain("refusing to destroy: stdin is not a terminal");
      expect(run.stderr).toContain("--yes");
      expect(await pot.exists(API.potName)).toBe(true);
      expect(existsSync(bundleOf(GONE))).toBe(true);
    },
    DEADLINE_MS,
  );

  test(
    "--destroy on a terminal asks y/N for each orphan and does what was answered",
    async () => {
      let screen = "";
      const proc = Bun.spawn([binary, "orphans", "--pot-path", sim.potPath, "--state-dir", stateDir, "--min-age", "0", "--destroy"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...sim.env },
        terminal: { cols: 400, rows: 50, data: (_terminal, data) => (screen += new TextDecoder().decode(data)) },
      });
      const terminal = proc.terminal;
      if (terminal === undefined) throw new Error("no pseudo-terminal");
      const answer = async (prompt: string, reply: string) => {
        await waitFor(`prompt ${prompt}`, () => screen.includes(prompt));
        terminal.write(reply);
      };
      await answer(`destroy pot ${API.potName} (no task bundle names it)? [y/N] `, "y\n");
      await answer(`destroy pot ${JOB.potName} (its task has ended (exit recorded, supervisor gone))? [y/N] `, "n\n");
      await answer(`remove bundle ${bundleOf(GONE).split("/").at(-1)} (its pot ${GONE.potName} no longer exists)? [y/N] `, "yes\n");
      const exitCode = await proc.exited;
      terminal.close();
      expect(exitCode).toBe(0);
      expect(screen).toContain(`destroyed pot ${API.potName}`);
      expect(screen).toContain(`kept pot ${JOB.potName}`);
      expect(screen).toContain(`removed bundle ${bundleOf(GONE).split("/").at(-1)}`);
      expect(await pot.exists(API.potName)).toBe(false);
      expect(await pot.exists(JOB.potName)).toBe(true);
      expect(existsSync(bundleOf(JOB))).toBe(true);
      expect(existsSync(bundleOf(GONE))).toBe(false);
    },
    DEADLINE_MS,
  );

  test(
    "--destroy --yes removes the rest without asking; the running task is untouched",
    async () => {
      const run = await orphans(["--min-age", "0", "--destroy", "--yes"]);
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain(`destroyed pot ${JOB.potName} and removed 1 bundle`);
      expect(run.exitCode).toBe(0);
      expect(await pot.exists(JOB.potName)).toBe(false);
      expect(existsSync(bundleOf(JOB))).toBe(false);

      const after = await orphans(["--min-age", "0"]);
      expect(after.stdout).toBe(`no orphans (1 driver pot, 1 bundle in ${stateDir}/tasks)\n`);
      expect(await pot.isRunning(WEB.potName)).toBe(true);
      expect(existsSync(bundleOf(WEB))).toBe(true);
      expect(web?.hasExited).toBe(false);
    },
    DEADLINE_MS,
  );

  test(
    "--destroy releases a pot that a killed pot start left starting with its mounts, and says so",
    async () => {
      const HALF = task("half", "e5e5e5e5", "55555555-5555-4555-8555-555555555555");
      await pot.prepare({
        imageUrl: sim.imageUrl,
        imageName: IMAGE.name,
        tag: IMAGE.tag,
        name: HALF.prepareName,
        allocId: HALF.prepareAllocId,
        command: "/usr/local/bin/serve",
      });
      sim.setKnobs({ "start-settle": { action: "delay", delayMs: 600_000, pot: HALF.potName } });
      const starting = Bun.spawn([sim.potPath, "start", "-p", HALF.potName], {
        env: { ...process.env, ...sim.env },
        stdin: "ignore",
        stdout: "ignore",
        stderr: "ignore",
      });
      const jailFile = join(sim.root, "run", `${HALF.potName}.json`);
      const jail = () => (existsSync(jailFile) ? (JSON.parse(readFileSync(jailFile, "utf8")) as { mainPid?: number }) : {});
      await waitFor("the jail's command", () => jail().mainPid !== undefined, 30_000);
      const mainPid = jail().mainPid as number;
      starting.kill("SIGKILL");
      await starting.exited;
      sim.setKnobs(null);

      const run = await orphans(["--min-age", "0", "--destroy", "--yes"]);
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain(
        `destroyed pot ${HALF.potName} (pot ${HALF.potName} was left starting by a pot start that no longer runs; stopped it (jail and mounts) before destroying it)`,
      );
      expect(run.exitCode).toBe(0);
      expect(await pot.exists(HALF.potName)).toBe(false);
      // Gone, or a zombie waiting for whoever adopted it.
      const state = existsSync(`/proc/${mainPid}/stat`) ? readFileSync(`/proc/${mainPid}/stat`, "utf8").replace(/^.*\) /s, "")[0] : "gone";
      expect(["gone", "Z", "X"]).toContain(state as string);
      expect(await pot.isRunning(WEB.potName)).toBe(true);
    },
    DEADLINE_MS,
  );

  test(
    "argument errors exit 2",
    async () => {
      expect((await orphans(["--yes"])).exitCode).toBe(2);
      expect((await orphans(["--min-age", "soon"])).exitCode).toBe(2);
      expect((await orphans(["--bogus"])).stderr).toContain("usage: pot-task-driver orphans");
    },
    DEADLINE_MS,
  );
});
