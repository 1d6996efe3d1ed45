// Fault injection through the compiled plugin and the pot simulator's knobs: each fault ends in the Nomad state it
// should, with an exact or explicitly unknown exit, and leaves no pot, bundle, process or plugin fd behind.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { StartTaskResponse } from "../../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import {
  handleAfterAgentRestart,
  type LaunchedPlugin,
  PLUGIN_BINARY,
  pluginEnv,
  startedDriverState,
  unary,
  startTask,
  waitTask,
  stopTask,
  destroyTask,
} from "../../support/plugin.ts";
import { SIMULATOR_ONLY } from "../../support/pot-under-test.ts";
import { isRecoverable } from "../../support/recoverable.ts";
import {
  createSimWorld,
  launchConfiguredPlugin,
  nomadTask,
  seedDriverConfig,
  type SimWorld,
  taskPot,
  type TaskWorld,
} from "../../support/sim-world.ts";
import {
  countVerb,
  fdCount,
  invocations,
  report,
  residue,
  setKnobs,
  settledFdCount,
  untilClean,
  zombieChildren,
} from "../../support/residue.ts";
import { waitFor } from "../../support/wait.ts";

/** One line per scenario for the closing summary. */
const outcomes: string[] = [];
const worlds: SimWorld[] = [];
const plugins: LaunchedPlugin[] = [];

afterEach(async () => {
  for (const p of plugins.splice(0)) p.close();
  for (const w of worlds.splice(0)) await w.cleanup();
});

afterAll(() => {
  report(`faults: ${outcomes.length} scenarios held`);
  for (const line of outcomes) report(`  ${line}`);
});

interface Scene {
  world: SimWorld;
  plugin: LaunchedPlugin;
  /** The plugin's open fds after one clean task round trip (lazy descriptors are open by then). */
  baselineFds: number;
}

/** A fresh world and plugin, warmed up by one task that starts, exits 0 and is destroyed. */
async function scene(pluginEnvExtra: Record<string, string> = {}): Promise<Scene> {
  const world = await createSimWorld();
  worlds.push(world);
  Object.assign(world.env, pluginEnvExtra);
  const plugin = await launch(world);
  const warm = task(world, "warmup", { command: "finish", args: ["0"] });
  await startTask(plugin, warm);
  expect((await waitTask(plugin, warm)).result?.exitCode).toBe(0);
  await destroyTask(plugin, warm);
  await untilClean(world, allowed(world, plugin));
  return { world, plugin, baselineFds: fdCount(plugin.proc.pid) };
}

async function launch(world: SimWorld): Promise<LaunchedPlugin> {
  const plugin = await launchConfiguredPlugin(world);
  plugins.push(plugin);
  return plugin;
}

/** A light task: host networking, the seed's copies and mounts, the given command. */
function task(world: SimWorld, name: string, overrides: Record<string, unknown>): TaskWorld {
  return nomadTask(world, name, seedDriverConfig(world, { network_mode: "host", port_map: null, ...overrides }));
}

/** Pids that may live on: running plugins and the test's own FIFO readers (Nomad's logmon stand-ins). */
function allowed(world: SimWorld, ...live: LaunchedPlugin[]): number[] {
  return [...live.map((p) => p.proc.pid), ...world.readers.map((r) => r.pid)];
}

function startError(p: LaunchedPlugin, t: TaskWorld): Promise<grpc.ServiceError> {
  return startTask(p, t).then(
    () => {
      throw new Error(`StartTask of ${t.config.id} succeeded`);
    },
    (err: grpc.ServiceError) => err,
  );
}

/**
 * Nothing left in the world, and the plugin holds no more fds than after its warm-up. Returns "fds a→b" for the
 * summary line.
 */
async function expectNothingLeft(s: Scene, plugin: LaunchedPlugin = s.plugin, baselineFds = s.baselineFds): Promise<string> {
  await untilClean(s.world, allowed(s.world, plugin));
  const fds = await settledFdCount(plugin.proc.pid, baselineFds);
  expect(fds).toBeLessThanOrEqual(baselineFds);
  expect(zombieChildren(plugin.proc.pid)).toEqual([]);
  return `plugin fds ${baselineFds}→${fds}`;
}

describe.skipIf(SIMULATOR_ONLY !== undefined)("prepare", () => {
  test("fails: a recoverable start error with pot's message, nothing created", async () => {
    const s = await scene();
    setKnobs(s.world, { prepare: { action: "fail", message: "pot import failed: registry said 503", exitCode: 1 } });
    const t = task(s.world, "web", { command: "nginx" });
    const err = await startError(s.plugin, t);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(isRecoverable(err)).toBe(true);
    expect(err.details).toContain("pot import failed: registry said 503");
    expect(countVerb(s.world, "copy-in")).toBe(2); // the warm-up's two copies only
    const left = await expectNothingLeft(s);
    outcomes.push(`prepare fails → recoverable start error carrying pot's ###> line; no pot, bundle or process [${left}]`);
  });

  test("hangs past its timeout: killed at the deadline, a recoverable start error, nothing left", async () => {
    const s = await scene({ POT_DRIVER_PREPARE_TIMEOUT: "2s" });
    setKnobs(s.world, { prepare: { action: "hang", stdout: "===>  importing FBSD120-nginx @ 1.0\n" } });
    const t = task(s.world, "web", { command: "nginx" });
    const began = Date.now();
    const err = await startError(s.plugin, t);
    const tookMs = Date.now() - began;
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(isRecoverable(err)).toBe(true);
    expect(err.details).toContain("timed out");
    expect(tookMs).toBeGreaterThanOrEqual(2_000);
    expect(tookMs).toBeLessThan(15_000);
    // The hanging prepare (its whole process group) is gone too.
    const left = await expectNothingLeft(s);
    outcomes.push(
      `prepare hangs → killed after the 2 s test deadline (StartTask answered in ${tookMs} ms), recoverable error; nothing left [${left}]`,
    );
  });

  test("a malformed prepare timeout override is reported and the default deadline stays", async () => {
    const world = await createSimWorld();
    worlds.push(world);
    world.env.POT_DRIVER_PREPARE_TIMEOUT = "soon";
    const plugin = await launch(world);
    await waitFor("the error line", () =>
      plugin.stderrLines().some((l) => l.includes("POT_DRIVER_PREPARE_TIMEOUT") && l.includes('"@level":"error"')),
    );
    // Still a working plugin: a task starts and exits exactly.
    const t = task(world, "batch", { command: "finish", args: ["5"] });
    await startTask(plugin, t);
    expect((await waitTask(plugin, t)).result?.exitCode).toBe(5);
    await destroyTask(plugin, t);
  });

  test("exits 0 but ignored steps the task does not depend on: the task runs, pot's lines become events", async () => {
    const s = await scene();
    setKnobs(s.world, { prepare: { action: "ignoring", steps: ["localhost-tunnel", "no-etc-hosts", "no-tmpfs"] } });
    const events = collectEvents(s.plugin);
    const t = task(s.world, "batch", { command: "finish", args: ["3"] });
    await startTask(s.plugin, t);
    expect((await waitTask(s.plugin, t)).result).toEqual({ exitCode: 3, signal: 0, oomKilled: false });
    await waitFor("the ignored steps as events", () => events.messages().filter((m) => m.includes("- ignoring")).length === 3);
    expect(events.messages()).toContain("pot: Couldn't disable tmpfs for /tmp - ignoring");
    events.close();
    await destroyTask(s.plugin, t);
    const left = await expectNothingLeft(s);
    outcomes.push(
      `prepare exits 0 having ignored localhost-tunnel/no-etc-hosts/no-tmpfs → task runs, exit 3 exact, 3 warning events; nothing left [${left}]`,
    );
  });

  const bridged = { network_mode: "public-bridge", port_map: [{ http: "80" }] };
  test.each([
    ["set-cmd", 'Couldn\'t set the command "finish 3" ot the pot - ignoring', {}],
    ["persistent", "Couldn't disable the persistent attribute - ignoring", {}],
    ["no-rc-script", "Couldn't enable the no-rc-script attribute - ignoring", {}],
    ["export-ports", "Couldn't export ports 80:28080 - ignoring", bridged],
  ] as const)("exits 0 but ignored %s: a recoverable start error, the wrong program never runs", async (step, line, overrides) => {
    const s = await scene();
    setKnobs(s.world, { prepare: { action: "ignoring", steps: [step] } });
    const t = task(s.world, "batch", { command: "finish", args: ["3"], ...overrides });
    const err = await startError(s.plugin, t);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(isRecoverable(err)).toBe(true);
    expect(err.details).toContain(line);
    expect(countVerb(s.world, "start")).toBe(1); // the warm-up's only
    const left = await expectNothingLeft(s);
    outcomes.push(`prepare exits 0 having ignored ${step} → recoverable start error quoting pot; no start, nothing left [${left}]`);
  });
});

describe.skipIf(SIMULATOR_ONLY !== undefined)("start", () => {
  test("fails at once (doa): StartTask returns, WaitTask says the exit is unknown, destroy leaves nothing", async () => {
    const s = await scene();
    setKnobs(s.world, { start: { action: "fail", message: "pot batch is dead on arrival" } });
    const t = task(s.world, "batch", { command: "finish", args: ["0"] });
    await startTask(s.plugin, t);
    const waited = await waitTask(s.plugin, t);
    // Never exit 0: the command did not run, and Nomad must see a failure.
    expect(waited.err).toContain("exit status unknown");
    expect(waited.err).toContain("pot start failed (exit 1)");
    await waitFor("pot's own line in the task's log", () => t.stdout().includes("###>  pot batch is dead on arrival"));
    await destroyTask(s.plugin, t);
    const left = await expectNothingLeft(s);
    outcomes.push(
      `start doa → WaitTask err 'exit status unknown: pot start failed (exit 1) …' (never 0); destroy leaves nothing [${left}]`,
    );
  });
});

describe.skipIf(SIMULATOR_ONLY !== undefined)("copy-in", () => {
  test("fails on the second of two copies: the half-configured pot is destroyed, a recoverable start error", async () => {
    const s = await scene();
    const message = "cp: /usr/local/etc/nginx/nginx.conf: No space left on device";
    setKnobs(s.world, {
      "copy-in": [
        { action: "delay", delayMs: 0, times: 1 },
        { action: "fail", message },
      ],
    });
    const before = countVerb(s.world, "copy-in");
    const t = task(s.world, "web", { command: "nginx" });
    const err = await startError(s.plugin, t);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(isRecoverable(err)).toBe(true);
    expect(err.details).toContain(message);
    expect(countVerb(s.world, "copy-in") - before).toBe(2);
    const left = await expectNothingLeft(s);
    outcomes.push(`copy-in fails midway → recoverable start error quoting pot; the prepared pot is destroyed [${left}]`);
  });

  test("fails, and the cleanup's first pot destroy fails too: the cleanup retries, nothing left", async () => {
    const s = await scene();
    setKnobs(s.world, {
      "copy-in": { action: "fail", message: "cp: No space left on device" },
      destroy: { action: "fail", message: "cannot destroy 'zroot/pot/jails/x': dataset is busy", times: 1 },
    });
    const t = task(s.world, "web", { command: "nginx" });
    const err = await startError(s.plugin, t);
    expect(isRecoverable(err)).toBe(true);
    const left = await expectNothingLeft(s);
    expect(invocations(s.world).filter((i) => i.argv[0] === "destroy" && i.argv.includes(taskPot(t))).length).toBe(2);
    outcomes.push(`copy-in fails and the first destroy fails → start cleanup retries destroy; nothing left [${left}]`);
  });
});

describe.skipIf(SIMULATOR_ONLY !== undefined)("destroy", () => {
  test("pot destroy fails once then succeeds: DestroyTask still cleans everything up", async () => {
    const s = await scene();
    const t = task(s.world, "batch", { command: "finish", args: ["4"] });
    await startTask(s.plugin, t);
    expect((await waitTask(s.plugin, t)).result).toEqual({ exitCode: 4, signal: 0, oomKilled: false });
    setKnobs(s.world, { destroy: { action: "fail", message: "cannot destroy 'zroot/pot/jails/x': dataset is busy", times: 1 } });
    await destroyTask(s.plugin, t);
    const left = await expectNothingLeft(s);
    expect(invocations(s.world).filter((i) => i.argv[0] === "destroy" && i.argv.includes(taskPot(t))).length).toBe(2);
    outcomes.push(`pot destroy fails once → DestroyTask retries and succeeds (Nomad ignores DestroyTask errors); nothing left [${left}]`);
  });
});

/** A running nginx task whose stdout FIFO reader (Nomad's logmon) was killed after the start line. */
async function nginxWithoutItsReader(): Promise<{ s: Scene; t: TaskWorld }> {
  const s = await scene();
  const t = task(s.world, "web", { command: "nginx" });
  await startTask(s.plugin, t);
  await waitFor("start line", () => t.stdout().includes("nginx starting"));
  const [oldReader] = t.readers;
  oldReader?.kill("SIGKILL");
  await oldReader?.exited;
  return { s, t };
}

describe("the log FIFO reader", () => {
  test("goes away while the task is quiet and comes back: the task keeps running, later output reaches the new reader", async () => {
    const { s, t } = await nginxWithoutItsReader();
    const inspected = await unary(s.plugin.driver.inspectTask, s.plugin.driver, { taskId: t.config.id });
    expect(inspected.task?.state).toBe(1); // RUNNING
    const reader = readFifo(s.world, t.config.stdoutPath);
    await unary(s.plugin.driver.signalTask, s.plugin.driver, { taskId: t.config.id, signal: "SIGHUP" });
    await waitFor("reload line at the new reader", () => reader.text().includes("nginx reloading"));
    await stopTask(s.plugin, t, "SIGTERM", 5);
    expect((await waitTask(s.plugin, t)).result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    await waitFor("stop line at the new reader", () => reader.text().includes("nginx stopping"));
    await destroyTask(s.plugin, t);
    const left = await expectNothingLeft(s);
    outcomes.push(`FIFO reader gone while quiet, then back → task keeps running, output resumes at the new reader, exit 0 exact [${left}]`);
  });

  test("goes away and the task writes: SIGPIPE is the task's exit, reported exactly", async () => {
    const { s, t } = await nginxWithoutItsReader();
    await unary(s.plugin.driver.signalTask, s.plugin.driver, { taskId: t.config.id, signal: "SIGHUP" });
    expect((await waitTask(s.plugin, t)).result).toEqual({ exitCode: 141, signal: 13, oomKilled: false });
    // Nomad's logmon comes back after the task has already ended. Its open(2) of the FIFO returns once some
    // process opens it for writing and waits otherwise (the supervisor closed its end when the command ended),
    // until Nomad stops logmon with the task; either way the driver does not wait for it and no output reaches it.
    const reader = readFifo(s.world, t.config.stdoutPath);
    await destroyTask(s.plugin, t);
    const left = await expectNothingLeft(s);
    expect(reader.text()).toBe("");
    outcomes.push(`FIFO reader gone and the task writes → exit 141 / signal 13 exact (SIGPIPE); nothing left [${left}]`);
  });
});

describe("the plugin SIGKILLed", () => {
  test.skipIf(SIMULATOR_ONLY !== undefined)(
    "during prepare: the prepared pot is an orphan that `orphans` lists; DestroyTask of the old id removes it",
    async () => {
      const s = await scene();
      setKnobs(s.world, { prepare: { action: "delay", delayMs: 1_500 } });
      const t = task(s.world, "web", { command: "nginx" });
      const before = countVerb(s.world, "prepare");
      const pending = startTask(s.plugin, t).catch((err: grpc.ServiceError) => err);
      await waitFor("prepare running", () => countVerb(s.world, "prepare") > before);
      await kill(s.plugin);
      expect(((await pending) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
      // The orphaned prepare finishes on its own (it is in its own session): a pot no bundle names.
      await waitFor("the orphaned prepare to end", () => residue(s.world, allowed(s.world)).processes.length === 0, 20_000);
      expect(residue(s.world, allowed(s.world))).toEqual({ pots: [taskPot(t)], bundles: [], processes: [] });
      setKnobs(s.world, {});

      const listed = orphans(s.world);
      expect(listed.exitCode).toBe(0);
      expect(listed.stdout).toContain(taskPot(t));
      expect(listed.stdout).toContain("no task bundle names it");

      const second = await launch(s.world);
      const baseline = await warmUp(s.world, second);
      // Nomad restarts the task with a new invocation id: no clash with the orphan.
      const retry = sameTaskNewInvocation(t);
      await startTask(second, retry);
      expect(taskPot(retry)).not.toBe(taskPot(t));
      await destroyTask(second, t.config.id);
      expect(orphans(s.world).stdout).toContain("no orphans");
      await waitFor("start line", () => t.stdout().includes("nginx starting"));
      await stopTask(second, retry, "SIGTERM", 5);
      expect((await waitTask(second, retry)).result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
      await destroyTask(second, retry);
      const left = await expectNothingLeft(s, second, baseline);
      outcomes.push(
        `SIGKILL during prepare → StartTask UNAVAILABLE; the prepared pot has no bundle: \`orphans\` lists it, DestroyTask(old id) destroys it; retry with a new invocation runs [${left}]`,
      );
    },
  );

  test("while running: the restarted plugin recovers the task and stops it with an exact exit", async () => {
    const s = await scene();
    const t = task(s.world, "web", { command: "nginx" });
    const started = await startTask(s.plugin, t);
    await waitFor("start line", () => t.stdout().includes("nginx starting"));
    await kill(s.plugin);
    const second = await launch(s.world);
    const baseline = await warmUp(s.world, second);
    const handle = handleAfterAgentRestart(started);
    await unary(second.driver.recoverTask, second.driver, { taskId: "", handle });
    await stopTask(second, t, "SIGTERM", 5);
    expect((await waitTask(second, t)).result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    await destroyTask(second, t);
    const left = await expectNothingLeft(s, second, baseline);
    outcomes.push(`SIGKILL while running → RecoverTask, StopTask: exit 0 exact; nothing left [${left}]`);
  });

  test("while running, and Nomad destroys instead of recovering: jail, supervisor and bundle all go", async () => {
    const s = await scene();
    const t = task(s.world, "web", { command: "nginx" });
    const started = await startTask(s.plugin, t);
    const state = driverState(started);
    await waitFor("start line", () => t.stdout().includes("nginx starting"));
    await kill(s.plugin);
    const second = await launch(s.world);
    const baseline = await warmUp(s.world, second);
    // The residue scan sees a live task: its pot, its bundle, its supervisor and the jailed command.
    const live = residue(s.world, allowed(s.world, second));
    expect(live.pots).toEqual([taskPot(t)]);
    expect(live.bundles.length).toBe(1);
    expect(live.processes.map((p) => p.pid)).toContain(state.supervisorPid);
    expect(live.processes.some((p) => p.cmdline.includes("/usr/local/sbin/nginx"))).toBe(true);
    await destroyTask(second, t);
    const left = await expectNothingLeft(s, second, baseline);
    expect(existsSync(state.bundleDir)).toBe(false);
    outcomes.push(`SIGKILL while running, then DestroyTask of an id the new plugin never saw → jail, supervisor, bundle gone [${left}]`);
  });

  test.skipIf(SIMULATOR_ONLY !== undefined)(
    "during stop: pot stop completes without it; the restarted plugin reports the exact exit and cleans up",
    async () => {
      const s = await scene();
      const t = task(s.world, "stubborn", { command: "stubborn" });
      const started = await startTask(s.plugin, t);
      const state = driverState(started);
      await waitFor("ready", () => t.stdout().includes("ready"));
      setKnobs(s.world, { stop: { action: "delay", delayMs: 1_500 } });
      const before = countVerb(s.world, "stop");
      const pending = stopTask(s.plugin, t, "SIGINT", 1).catch((err: grpc.ServiceError) => err);
      await waitFor("pot stop running", () => countVerb(s.world, "stop") > before, 20_000);
      await kill(s.plugin);
      expect(((await pending) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
      await waitFor("the exit record", () => existsSync(join(state.bundleDir, "exit.json")), 20_000);
      setKnobs(s.world, {});

      const second = await launch(s.world);
      const baseline = await warmUp(s.world, second);
      await unary(second.driver.recoverTask, second.driver, { taskId: "", handle: started.handle });
      expect((await waitTask(second, t)).result).toEqual({ exitCode: 143, signal: 15, oomKilled: false });
      await stopTask(second, t, "SIGINT", 1); // Nomad retries the failed StopTask: the task has exited, so it succeeds
      await destroyTask(second, t);
      const left = await expectNothingLeft(s, second, baseline);
      outcomes.push(
        `SIGKILL during pot stop → stop finishes on its own; after restart RecoverTask + WaitTask: 143 / SIGTERM exact; nothing left [${left}]`,
      );
    },
  );
});

/** Kills a plugin the way the kernel's OOM killer or `kill -9` would. */
async function kill(p: LaunchedPlugin): Promise<void> {
  p.proc.kill("SIGKILL");
  await p.proc.exited;
  p.close();
}

/** One clean task round trip on a (restarted) plugin; returns its fd count afterwards as the baseline. */
async function warmUp(world: SimWorld, p: LaunchedPlugin): Promise<number> {
  const warm = task(world, "warmup", { command: "finish", args: ["0"] });
  await startTask(p, warm);
  expect((await waitTask(p, warm)).result?.exitCode).toBe(0);
  await destroyTask(p, warm);
  return fdCount(p.proc.pid);
}

function driverState(started: StartTaskResponse): { bundleDir: string; supervisorPid: number } {
  return startedDriverState<{ bundleDir: string; supervisorPid: number }>(started);
}

/** The same alloc and task with a new invocation id, as Nomad's task runner builds it for a restart. */
function sameTaskNewInvocation(t: TaskWorld): TaskWorld {
  const [allocId, taskName] = t.config.id.split("/");
  const invocation = crypto.randomUUID().slice(0, 8);
  return { ...t, config: { ...t.config, id: `${allocId}/${taskName}/${invocation}` } };
}

/** A log reader like Nomad's logmon: opens the FIFO and collects what it reads (the world's cleanup ends it). */
function readFifo(world: SimWorld, path: string): { text: () => string } {
  const proc = Bun.spawn(["cat", path], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  world.readers.push(proc);
  let text = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  return { text: () => text };
}

function collectEvents(p: LaunchedPlugin): { messages: () => string[]; close: () => void } {
  const messages: string[] = [];
  const stream = p.driver.taskEvents({});
  stream.on("data", (e: { message: string }) => messages.push(e.message));
  stream.on("error", () => {});
  return { messages: () => messages, close: () => stream.cancel() };
}

/** `pot-task-driver orphans` as an operator runs it, listing only. */
function orphans(world: SimWorld): { exitCode: number; stdout: string } {
  const run = Bun.spawnSync([PLUGIN_BINARY, "orphans", "--pot-path", world.potPath, "--state-dir", world.stateDir, "--min-age", "0"], {
    env: { ...pluginEnv(world.env), NOMAD_PLUGIN_MAGIC_COOKIE: "" },
    stdin: "ignore",
  });
  return { exitCode: run.exitCode, stdout: run.stdout.toString() + run.stderr.toString() };
}
