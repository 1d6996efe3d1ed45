// Integration tests for src/supervisor/client.ts with real supervisors, FIFOs, signals and a killed launcher.
//
// Covered: launch, exit records, surviving the launching process, attach after a "driver restart", unknown
// exits, stdio isolation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { bundlePath, listBundles, readPidRecord, readSpec } from "../../../src/supervisor/bundle.ts";
import { attach, launch, remove, type SupervisedProcess } from "../../../src/supervisor/client.ts";
import { SupervisorError } from "../../../src/supervisor/errors.ts";
import type { ExitRecord } from "../../../src/supervisor/exit-record.ts";
import { psSpawnCount } from "../../../src/supervisor/ps.ts";
import { type SessionSample, StatsSampler } from "../../../src/supervisor/sampler.ts";
import {
  isAlive,
  killGroupQuietly,
  type LaunchedByLauncher,
  launchViaLauncher,
  mkfifo,
  processState,
  tempDir,
} from "../../support/supervision.ts";
import { waitFor, within } from "../../support/wait.ts";

let root: { dir: string; cleanup: () => void };
const groups: number[] = [];
let taskCounter = 0;

beforeAll(() => {
  root = tempDir("supervisor-it");
});

afterAll(() => {
  for (const pgid of groups) killGroupQuietly(pgid);
  root.cleanup();
});

interface Workspace {
  stateDir: string;
  taskId: string;
  /** A path in the test's own directory (created on first use). */
  file: (name: string) => string;
}

/** A state dir and an output dir for one test. */
function workspace(): Workspace {
  taskCounter += 1;
  const base = join(root.dir, `t${taskCounter}`);
  return {
    stateDir: join(base, "state"),
    taskId: `0b6c4f5e-1d2a-4b8e-9f00-${String(taskCounter).padStart(12, "0")}/web/3f2a1b0c`,
    file: (name) => {
      spawnSync("mkdir", ["-p", base]);
      return join(base, name);
    },
  };
}

function track(process: { pid: number }): void {
  groups.push(process.pid);
}

/** Launches the workspace's task, its output discarded unless `streams` name files; the group is killed at the end. */
async function start(
  ws: Workspace,
  argv: string[],
  streams: { stdoutPath?: string; stderrPath?: string } = {},
): Promise<SupervisedProcess> {
  const supervised = await launch({
    stateDir: ws.stateDir,
    taskId: ws.taskId,
    argv,
    stdoutPath: "/dev/null",
    stderrPath: "/dev/null",
    ...streams,
  });
  track(supervised);
  return supervised;
}

/** Launches the workspace's task from a stand-in driver, then SIGKILLs that driver: the supervisor is on its own. */
async function orphaned(ws: Workspace, argv: string[]): Promise<LaunchedByLauncher> {
  const launched = await launchViaLauncher({
    stateDir: ws.stateDir,
    taskId: ws.taskId,
    argv,
    stdoutPath: "/dev/null",
    stderrPath: "/dev/null",
  });
  track(launched);
  launched.launcher.kill("SIGKILL");
  await launched.launcher.exited;
  return launched;
}

/** An orphaned supervisor whose task exits with the code `cue` writes to its control FIFO. */
async function orphanedOnCue(ws: Workspace): Promise<{ launched: LaunchedByLauncher; cue: (code: number) => Promise<void> }> {
  const control = mkfifo(ws.file("control.fifo"));
  const launched = await orphaned(ws, ["sh", "-c", 'read code < "$1"; exit "$code"', "sh", control]);
  return { launched, cue: (code) => writeFile(control, `${code}\n`) };
}

/** An orphaned supervisor whose task has exited with `code`, recorded while nobody was attached; it has ended. */
async function endedUnattended(ws: Workspace, code: number): Promise<LaunchedByLauncher> {
  const { launched, cue } = await orphanedOnCue(ws);
  await cue(code);
  await waitFor("the exit record", () => existsSync(bundlePath(launched.bundleDir, "exit")));
  await waitFor("the supervisor to end", () => processState(launched.pid)?.startsWith("Z") !== false);
  return launched;
}

function exitedWith(record: ExitRecord): { exitCode: number; signal: number } {
  if (record.kind !== "exited") throw new Error(`expected an exit, got ${JSON.stringify(record)}`);
  return { exitCode: record.exitCode, signal: record.signal };
}

/** Reads a FIFO to EOF with a real reader process started now (i.e. late, after the writer began waiting). */
function readFifo(path: string): Promise<string> {
  const cat = Bun.spawn(["cat", path], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  return new Response(cat.stdout).text();
}

describe("launch", () => {
  test("task output reaches FIFOs whose reader opens late, and exit 3 is recorded", async () => {
    const ws = workspace();
    const stdoutPath = mkfifo(ws.file("stdout.fifo"));
    const stderrPath = mkfifo(ws.file("stderr.fifo"));
    const supervised = await start(ws, ["sh", "-c", "echo out; echo err >&2; exit 3"], { stdoutPath, stderrPath });
    // launch returned while no reader exists: the supervisor, not us, is blocked opening the FIFO.
    expect(existsSync(bundlePath(supervised.bundleDir, "pid"))).toBe(true);
    expect(existsSync(bundlePath(supervised.bundleDir, "exit"))).toBe(false);
    expect(supervised.hasExited).toBe(false);

    const [out, err] = await within("both FIFO readers", Promise.all([readFifo(stdoutPath), readFifo(stderrPath)]));
    expect(out).toBe("out\n");
    expect(err).toBe("err\n");
    const record = await within("the exit", supervised.exited);
    expect(exitedWith(record)).toEqual({ exitCode: 3, signal: 0 });
    if (record.kind === "exited") expect(Math.abs(record.endedAt.getTime() - Date.now())).toBeLessThan(60_000);

    const pidFile = readFileSync(bundlePath(supervised.bundleDir, "pid"), "utf8");
    expect(pidFile).toMatch(new RegExp(`^${supervised.pid} \\S+\\n$`));
    const log = readFileSync(bundlePath(supervised.bundleDir, "log"), "utf8");
    expect(log).toContain("command ended with status 3");
    expect(log).not.toContain("out\n");
  });

  test("the argv is passed verbatim: no shell ever re-parses it", async () => {
    const ws = workspace();
    const out = ws.file("out.txt");
    const tricky = ["$(touch pwned)", "a b", "'quoted'", "*", "semi;colon", ""];
    const supervised = await start(ws, ["/usr/bin/printf", "[%s]\\n", ...tricky], { stdoutPath: out });
    expect(exitedWith(await within("the exit", supervised.exited))).toEqual({ exitCode: 0, signal: 0 });
    expect(readFileSync(out, "utf8")).toBe(tricky.map((arg) => `[${arg}]\n`).join(""));
    expect(existsSync("/pwned")).toBe(false);
    expect(existsSync(join(supervised.bundleDir, "pwned"))).toBe(false);
  });

  test("a task killed by SIGKILL is recorded as signal 9, exit code 137", async () => {
    const ws = workspace();
    const taskPidFile = ws.file("task.pid");
    const supervised = await start(ws, ["sh", "-c", 'echo $$ > "$1"; exec sleep 600', "sh", taskPidFile]);
    const taskPid = await waitFor("the task's pid", () => {
      const text = existsSync(taskPidFile) ? readFileSync(taskPidFile, "utf8").trim() : "";
      return text === "" ? undefined : Number(text);
    });
    process.kill(taskPid, "SIGKILL");
    const record = await within("the exit", supervised.exited);
    expect(exitedWith(record)).toEqual({ exitCode: 137, signal: 9 });
    expect(record.kind === "exited" && record.signalName).toBe("SIGKILL");
  });

  test("HUP, INT, QUIT, TERM, PIPE and USR1 sent to the group reach the task; the supervisor records them", async () => {
    for (const signal of ["SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGPIPE", "SIGUSR1"] as const) {
      const number = os.constants.signals[signal];
      const ws = workspace();
      const started = ws.file("started");
      const supervised = await start(ws, ["sh", "-c", ': > "$1"; exec sleep 600', "sh", started]);
      await waitFor("the task to start", () => existsSync(started));
      expect(supervised.signalGroup(signal)).toBe(true);
      const record = await within(`the exit after ${signal}`, supervised.exited);
      expect(exitedWith(record)).toEqual({ exitCode: 128 + number, signal: number });
      expect(supervised.signalGroup(signal)).toBe(false);
    }
  });

  test("the exit is recorded even when the FIFO reader has gone away (SIGPIPE is the task's business)", async () => {
    const ws = workspace();
    const stdoutPath = mkfifo(ws.file("stdout.fifo"));
    const gate = mkfifo(ws.file("gate.fifo"));
    // Writes one line, waits until the reader is gone, then writes again into a FIFO nobody reads.
    const supervised = await start(ws, ["sh", "-c", 'echo first; read go < "$1"; echo second; exit 0', "sh", gate], { stdoutPath });
    const reader = Bun.spawn(["head", "-n", "1", stdoutPath], { stdin: "ignore", stdout: "pipe" });
    expect(await new Response(reader.stdout).text()).toBe("first\n");
    await reader.exited;
    await writeFile(gate, "go\n");
    const record = await within("the exit", supervised.exited);
    expect(exitedWith(record)).toEqual({ exitCode: 141, signal: 13 });
  });

  test("an unopenable stdout destination is a recorded failure, not an exit", async () => {
    const ws = workspace();
    const supervised = await start(ws, ["true"], { stdoutPath: join(ws.file("missing-dir"), "no", "such", "fifo") });
    const record = await within("the record", supervised.exited);
    expect(record.kind).toBe("failed");
    expect(record.kind === "failed" && record.reason).toContain("stdout");
  });

  test("a second launch for the same task id is refused and leaves the first bundle alone", async () => {
    const ws = workspace();
    const spec = { stateDir: ws.stateDir, taskId: ws.taskId, argv: ["true"], stdoutPath: "/dev/null", stderrPath: "/dev/null" };
    const first = await launch(spec);
    track(first);
    await within("the first exit", first.exited);
    const error = await launch(spec).catch((err: unknown) => err);
    expect(error instanceof SupervisorError && error.kind).toBe("already-exists");
    expect(existsSync(bundlePath(first.bundleDir, "exit"))).toBe(true);
  });

  test("a supervisor killed before it records yields an explicit unknown exit", async () => {
    const ws = workspace();
    const supervised = await start(ws, ["sleep", "600"]);
    expect(supervised.kill()).toBe(true);
    const record = await within("the outcome", supervised.exited);
    expect(record.kind).toBe("unknown");
    expect(record.kind === "unknown" && record.reason).toContain("SIGKILL");
  });

  test("a supervisor not ready within readyMs fails the launch, is killed and leaves no bundle", async () => {
    const ws = workspace();
    const pidFile = ws.file("never-ready.pid");
    // Never writes supervisor.pid, so it cannot be ready however fast the machine is; it says where it runs.
    // The deadline is long only so that even a loaded machine has started it and written its pid by then.
    const script = `printf '%s\\n' "$$" >'${pidFile}'\nexec sleep 600\n`;
    const outcome = await launch(
      { stateDir: ws.stateDir, taskId: ws.taskId, argv: ["sleep", "600"], stdoutPath: "/dev/null", stderrPath: "/dev/null" },
      { timeouts: { readyMs: 2_000 }, script },
    ).catch((err: unknown) => err);
    if (!(outcome instanceof Error)) track(outcome as SupervisedProcess);
    expect(outcome instanceof SupervisorError && outcome.kind).toBe("timed-out");
    expect((outcome as Error).message).toContain("not ready after 2000 ms");
    expect(await listBundles(ws.stateDir)).toEqual([]);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(pid).toBeGreaterThan(1);
    expect(isAlive(pid)).toBe(false);
  });

  test("close() stops watching and settles an unknown exit; the task is left alone", async () => {
    const ws = workspace();
    const supervised = await start(ws, ["sleep", "600"]);
    supervised.close();
    const record = await within("the outcome", supervised.exited);
    expect(record.kind).toBe("unknown");
    expect(isAlive(supervised.pid)).toBe(true);
    expect(supervised.kill()).toBe(false);
    killGroupQuietly(supervised.pid);
  });

  test("the supervisor is a small sh process in its own session", async () => {
    const ws = workspace();
    const supervised = await start(ws, ["sleep", "600"]);
    const fields = spawnSync("ps", ["-o", "sid=", "-o", "pgid=", "-o", "rss=", "-p", String(supervised.pid)], {
      encoding: "utf8",
    })
      .stdout.trim()
      .split(/\s+/)
      .map(Number);
    const [sid, pgid, rssKiB] = fields as [number, number, number];
    expect(sid).toBe(supervised.pid);
    expect(pgid).toBe(supervised.pid);
    console.log(`supervisor RSS: ${rssKiB} KiB`);
    expect(rssKiB).toBeGreaterThan(0);
    expect(rssKiB).toBeLessThan(4096);
    supervised.kill();
    await within("the outcome", supervised.exited);
  });
});

describe("surviving the launching process", () => {
  test("the launcher's stdout/stderr pipes reach EOF when it is SIGKILLed, while the task keeps running", async () => {
    const ws = workspace();
    const launched = await orphaned(ws, ["sleep", "600"]);
    // Only the launcher held these pipes: EOF must come now, not when the task ends.
    await within("EOF on the launcher's stdout and stderr", launched.rest, 5_000);
    expect(isAlive(launched.pid)).toBe(true);
    const supervised = await attach(launched.bundleDir, launched.pid, {
      timeouts: { attachPollMs: 100, identityRecheckMs: 200 },
    });
    expect(supervised.hasExited).toBe(false);
    supervised.kill();
    await within("the outcome", supervised.exited);
  });

  test("a task that ends after the driver died is reported exactly to a new driver that attaches", async () => {
    const { launched, cue } = await orphanedOnCue(workspace());

    expect(existsSync(bundlePath(launched.bundleDir, "exit"))).toBe(false);
    const supervised = await attach(launched.bundleDir, launched.pid, { timeouts: { attachPollMs: 200 } });
    expect(supervised.hasExited).toBe(false);
    await cue(7);
    const record = await within("the exit", supervised.exited);
    expect(exitedWith(record)).toEqual({ exitCode: 7, signal: 0 });
  });

  test("a record still being written (empty, or cut short) is not taken while the supervisor lives", async () => {
    const { launched, cue } = await orphanedOnCue(workspace());
    // As a reader may find exit.json between the supervisor's open and its one write.
    writeFileSync(bundlePath(launched.bundleDir, "exit"), '{"version":2,"sta');
    const supervised = await attach(launched.bundleDir, launched.pid, { timeouts: { attachPollMs: 100 } });
    expect(supervised.hasExited).toBe(false);
    await cue(6);
    const record = await within("the exit", supervised.exited);
    expect(exitedWith(record)).toEqual({ exitCode: 6, signal: 0 });
    // The end time is exit.json's modification time.
    if (record.kind === "exited") expect(Math.abs(record.endedAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  test("a record left incomplete by a supervisor that is gone is unknown, never exit 0", async () => {
    const launched = await endedUnattended(workspace(), 0);
    writeFileSync(bundlePath(launched.bundleDir, "exit"), "");
    const supervised = await attach(launched.bundleDir, launched.pid);
    const record = await within("the outcome", supervised.exited);
    expect(record.kind).toBe("unknown");
    expect(record.kind === "unknown" && record.reason).toContain("incomplete");
  });

  test("a task that ended while nobody was attached is read from its record", async () => {
    const ws = workspace();
    const launched = await endedUnattended(ws, 5);

    expect((await readPidRecord(launched.bundleDir))?.pid).toBe(launched.pid);
    expect((await readSpec(launched.bundleDir)).taskId).toBe(ws.taskId);

    const supervised = await attach(launched.bundleDir, launched.pid);
    expect(supervised.hasExited).toBe(true);
    expect(exitedWith(await supervised.exited)).toEqual({ exitCode: 5, signal: 0 });
  });

  test("a supervisor killed while nobody was attached yields unknown, never exit 0", async () => {
    const ws = workspace();
    const launched = await orphaned(ws, ["sleep", "600"]);
    process.kill(launched.pid, "SIGKILL");

    const supervised = await attach(launched.bundleDir, launched.pid, {
      timeouts: { attachPollMs: 100, identityRecheckMs: 200 },
    });
    const record = await within("the outcome", supervised.exited);
    expect(record.kind).toBe("unknown");
    killGroupQuietly(launched.pid);
  });

  test("a supervisor killed after attach yields unknown", async () => {
    const ws = workspace();
    const launched = await orphaned(ws, ["sleep", "600"]);
    const supervised = await attach(launched.bundleDir, launched.pid, {
      timeouts: { attachPollMs: 100, identityRecheckMs: 200 },
    });
    expect(supervised.hasExited).toBe(false);
    process.kill(launched.pid, "SIGKILL");
    const record = await within("the outcome", supervised.exited);
    expect(record.kind).toBe("unknown");
    expect(record.kind === "unknown" && record.reason).toContain(String(launched.pid));
    killGroupQuietly(launched.pid);
  });

  test("a live pid that is not the bundle's supervisor is refused as unknown", async () => {
    const ws = workspace();
    const supervised = await start(ws, ["sleep", "600"]);
    const impostor = Bun.spawn(["sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      // As if the supervisor had died and its pid were reused: supervisor.pid names the impostor.
      const token = readFileSync(bundlePath(supervised.bundleDir, "pid"), "utf8").split(" ")[1] as string;
      writeFileSync(bundlePath(supervised.bundleDir, "pid"), `${impostor.pid} ${token}`);
      const attached = await attach(supervised.bundleDir, impostor.pid);
      const record = await within("the outcome", attached.exited);
      expect(record.kind).toBe("unknown");
      expect(record.kind === "unknown" && record.reason).toContain("not this bundle's supervisor");
      expect(isAlive(impostor.pid)).toBe(true);
    } finally {
      impostor.kill("SIGKILL");
      supervised.kill();
      await within("the outcome", supervised.exited);
    }
  });

  test("attach to a missing bundle is a not-found error; remove is atomic and idempotent", async () => {
    const ws = workspace();
    const error = await attach(join(ws.stateDir, "tasks", "nope"), 12345).catch((err: unknown) => err);
    expect(error instanceof SupervisorError && error.kind).toBe("not-found");

    const supervised: SupervisedProcess = await start(ws, ["true"]);
    await within("the exit", supervised.exited);
    expect((await listBundles(ws.stateDir)).map((entry) => entry.bundleDir)).toEqual([supervised.bundleDir]);
    await remove(supervised.bundleDir);
    await remove(supervised.bundleDir);
    expect(await listBundles(ws.stateDir)).toEqual([]);
    expect(existsSync(supervised.bundleDir)).toBe(false);
  });
});

describe("recovered supervisors and stats share the sampler's ps runs", () => {
  test("identity re-checks of attached supervisors start no ps of their own while stats stream", async () => {
    // Three tasks whose driver died (the launcher is killed), then a new driver attaches to each and streams
    // their stats, re-checking identities on every poll.
    const launched: LaunchedByLauncher[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = workspace();
      const one = await orphaned(ws, ["sleep", "300"]);
      launched.push(one);
    }
    const sampler = new StatsSampler();
    const probe = (pid: number) => sampler.probe(pid);
    const psBefore = psSpawnCount();
    const attached = await Promise.all(
      launched.map((one) => attach(one.bundleDir, one.pid, { timeouts: { attachPollMs: 50, identityRecheckMs: 1 }, probe })),
    );
    const samples = launched.map(() => [] as SessionSample[]);
    const subscriptions = launched.map((one, i) => sampler.subscribe(one.pid, 100, (sample) => samples[i]?.push(sample)));
    try {
      const probesAtStart = sampler.probeCount;
      await waitFor(
        "five stats ticks and several identity re-checks of every supervisor",
        () => samples.every((list) => list.length >= 5) && sampler.probeCount - probesAtStart >= 4 * launched.length,
      );
      expect(attached.every((supervised) => !supervised.hasExited)).toBe(true);
      expect(samples.every((list) => list.at(-1)?.processCount === 2)).toBe(true);
      // Every ps this process started was one of the sampler's table reads ...
      expect(psSpawnCount() - psBefore).toBe(sampler.spawnCount);
      // ... and those were the ticks (one sample per subscriber each), plus the reads answering the attach
      // probes before the first tick (at most one per supervisor; together they usually share one).
      const ticks = Math.max(...samples.map((list) => list.length));
      expect(sampler.spawnCount).toBeLessThanOrEqual(ticks + 1 + launched.length);
    } finally {
      for (const subscription of subscriptions) subscription.unsubscribe();
      for (const supervised of attached) supervised.kill();
      await Promise.all(attached.map((supervised) => within("the outcome", supervised.exited)));
    }
  });
});
