// The task lifecycle through the compiled plugin, gRPC and the pot simulator: the seed job, exit codes, signals,
// stop with kill_signal/kill_timeout, exec (plain and tty), stats, events, recovery after `kill -9` of the
// plugin, and nothing left behind after destroy.
import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DriverTaskEvent, TaskState, type TaskStatsResponse } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { isRecoverable } from "../support/recoverable.ts";
import { invocations } from "../support/residue.ts";
import {
  handleAfterAgentRestart,
  type LaunchedPlugin,
  openExecStream,
  startedDriverState,
  unary,
  startTask,
  waitTask,
  stopTask,
  destroyTask,
  execTask,
} from "../support/plugin.ts";
import {
  bundles,
  setUpPluginWorld,
  launchConfiguredPlugin,
  nomadTask,
  seedDriverConfig,
  type SimWorld,
  simPots,
  taskPot,
  startUnderKilledPlugin,
} from "../support/sim-world.ts";
import { waitFor } from "../support/wait.ts";
import { isLiveProcess } from "../support/host.ts";

let world: SimWorld;
let plugin: LaunchedPlugin;
setUpPluginWorld((w, p) => {
  world = w;
  plugin = p;
});

/**
 * The pot verbs run so far for one pot `<task>_<invocation>_<alloc>`, in order (the simulator's invocation log);
 * prepare names the pot by its parts (`-n <task> -a <invocation>_<alloc>`).
 */
function potVerbsFor(pot: string): string[] {
  const suffix = pot.split("_").slice(-2).join("_");
  return invocations(world)
    .filter((i) => i.argv.includes(pot) || (i.argv[0] === "prepare" && i.argv.includes(suffix)))
    .map((i) => i.argv[0] ?? "");
}

describe("the seed job", () => {
  test("starts, logs, inspects, signals, execs, reports stats, stops and leaves nothing behind", async () => {
    const task = nomadTask(world, "nginx-pot", seedDriverConfig(world));
    const events: DriverTaskEvent[] = [];
    const eventStream = plugin.driver.taskEvents({});
    eventStream.on("data", (e: DriverTaskEvent) => events.push(e));
    eventStream.on("error", () => {});

    const started = await startTask(plugin, task);
    expect(started.handle?.config?.id).toBe(task.config.id);
    expect(started.handle?.config?.msgpackDriverConfig).toEqual(task.config.msgpackDriverConfig);
    expect(started.handle?.state).toBe(TaskState.RUNNING);
    expect(started.handle?.version).toBe(1);
    const state = JSON.parse(Buffer.from(started.handle?.driverState ?? []).toString()) as { potName: string; supervisorPid: number };
    expect(state.potName).toBe(taskPot(task));
    expect(started.networkOverride?.portMap).toEqual({ http: 80 });
    expect(started.networkOverride?.addr).toMatch(/^10\.192\.\d+\.\d+$/);
    // What StartTask ran pot for: readiness and the jail's address come from pot's own files, not pot runs.
    expect(potVerbsFor(state.potName)).toEqual([
      "prepare",
      "copy-in",
      "copy-in",
      ...Array<string>(6).fill("mount-in"),
      "set-env",
      "set-rss",
      "start",
    ]);

    // Logs reach Nomad's FIFOs line for line; stderr stays separate.
    await waitFor("nginx start line in stdout", () => task.stdout().includes("nginx starting: -g daemon off;"));
    await waitFor("nginx stderr line", () => task.stderr().includes("nginx stderr line"));
    expect(task.stdout()).not.toContain("nginx stderr line");

    // The copy landed and the environment is the task's.
    const inspect = await unary(plugin.driver.inspectTask, plugin.driver, { taskId: task.config.id });
    expect(inspect.task?.state).toBe(TaskState.RUNNING);
    const exec = await execTask(plugin, task, [
      "sh",
      "-c",
      'cat "$POT_SIM_JAIL_ROOT/usr/local/www/nginx-dist/index.html"; echo "greeting=$GREETING"; exit 4',
    ]);
    expect(Buffer.from(exec.stdout).toString()).toContain("<h1>hello from the host</h1>");
    expect(Buffer.from(exec.stdout).toString()).toContain("greeting=hello world");
    expect(exec.result?.exitCode).toBe(4);

    // Stats over three intervals, with real numbers.
    const samples: TaskStatsResponse[] = [];
    const stats = plugin.driver.taskStats({ taskId: task.config.id, collectionInterval: { seconds: 0n, nanos: 300_000_000 } });
    stats.on("data", (s: TaskStatsResponse) => samples.push(s));
    stats.on("error", () => {});
    await waitFor("three stats samples", () => samples.length >= 3, 15_000);
    stats.cancel();
    for (const s of samples) {
      expect(s.stats?.timestamp).toBeDefined();
      expect(s.stats?.aggResourceUsage?.memory?.rss).toBeGreaterThan(0n);
      expect(s.stats?.aggResourceUsage?.memory?.measuredFields.length).toBeGreaterThan(0);
    }

    // SIGHUP reaches the task.
    await unary(plugin.driver.signalTask, plugin.driver, { taskId: task.config.id, signal: "SIGHUP" });
    await waitFor("reload line", () => task.stdout().includes("nginx reloading"));

    // Destroy without force refuses a running task.
    const refused = await unary(plugin.driver.destroyTask, plugin.driver, { taskId: task.config.id, force: false }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.FAILED_PRECONDITION);

    // Stop with the default signal (none named → SIGTERM); the task exits 0 on TERM.
    await stopTask(plugin, task);
    const waited = await waitTask(plugin, task);
    expect(waited.err).toBe("");
    expect(waited.result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    await waitFor("stopping line", () => task.stdout().includes("nginx stopping"));
    // WaitTask answers again, at once, after the exit.
    expect((await waitTask(plugin, task, 2_000)).result?.exitCode).toBe(0);
    // The exit came from the pot's own record (conf/.last_run_stats), read without a pot run.
    expect(potVerbsFor(state.potName)).not.toContain("last-run-stats");

    await destroyTask(plugin, task);
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(taskPot(task));
    expect(bundles(world).some((b) => b.includes(task.config.id.split("/")[0]?.slice(0, 8) ?? "?"))).toBe(false);
    expect(isLiveProcess(state.supervisorPid)).toBe(false);

    const messages = events.map((e) => e.message);
    expect(messages.some((m) => m.startsWith("Preparing pot"))).toBe(true);
    expect(messages.some((m) => m.startsWith("Starting pot"))).toBe(true);
    expect(events.every((e) => e.allocId === task.config.allocId && e.taskName === "nginx-pot")).toBe(true);
    eventStream.cancel();
  });
});

describe("exit codes", () => {
  test.each([0, 3])("a batch task exiting %d reports exactly that", async (code) => {
    const task = nomadTask(
      world,
      `batch${code}`,
      seedDriverConfig(world, { command: "finish", args: [String(code)], network_mode: "host", port_map: null }),
    );
    await startTask(plugin, task);
    const waited = await waitTask(plugin, task);
    expect(waited.err).toBe("");
    expect(waited.result).toEqual({ exitCode: code, signal: 0, oomKilled: false });
    await waitFor("finish line", () => task.stdout().includes(`finishing with ${code}`));
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(taskPot(task));
  });

  test("a task killed by a signal reports the signal and 128+N", async () => {
    const task = nomadTask(world, "killed", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    await startTask(plugin, task);
    await waitFor("ready", () => task.stdout().includes("ready"));
    await unary(plugin.driver.signalTask, plugin.driver, { taskId: task.config.id, signal: "SIGKILL" });
    const waited = await waitTask(plugin, task);
    expect(waited.result).toEqual({ exitCode: 137, signal: 9, oomKilled: false });
    await destroyTask(plugin, task);
  });

  test("an unknown signal name is an error, not a fallback", async () => {
    const task = nomadTask(world, "badsig", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    await startTask(plugin, task);
    const err = await unary(plugin.driver.signalTask, plugin.driver, { taskId: task.config.id, signal: "SIGNOPE" }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(taskPot(task));
  });
});

describe("stop", () => {
  test("SIGINT with a 2 s kill_timeout on a task that ignores it: pot stop ends it after the timeout", async () => {
    const task = nomadTask(world, "stubborn", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    await startTask(plugin, task);
    await waitFor("ready", () => task.stdout().includes("ready"));
    const began = Date.now();
    await stopTask(plugin, task, "SIGINT", 2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(2_000);
    const waited = await waitTask(plugin, task);
    expect(waited.result).toEqual({ exitCode: 143, signal: 15, oomKilled: false });
    // Stopping an exited task is fine.
    await stopTask(plugin, task, "SIGINT", 1);
    await destroyTask(plugin, task);
  });
});

describe("bad input", () => {
  test("an invalid config is an unrecoverable error naming every field, and creates no pot", async () => {
    const before = simPots(world).length;
    const bundlesBefore = bundles(world).length;
    const task = nomadTask(
      world,
      "bad",
      seedDriverConfig(world, { image: "ftp://nowhere/", port_map: [{ http: "99999" }], copy: ["nocolon"] }),
    );
    const err = (await startTask(plugin, task).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain("config.image");
    expect(err.details).toContain("config.port_map");
    expect(err.details).toContain("config.copy[0]");
    const detail = err.metadata.get("grpc-status-details-bin")[0];
    expect(detail).toBeDefined();
    expect(isRecoverable(err)).toBe(false);
    expect(simPots(world).length).toBe(before);
    expect(bundles(world).length).toBe(bundlesBefore);
  });

  test("a missing image fails with pot's own message, recoverable, and leaves no pot", async () => {
    const task = nomadTask(world, "noimage", seedDriverConfig(world, { pot: "does-not-exist", network_mode: "host", port_map: null }));
    const err = (await startTask(plugin, task).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/prepare/);
    expect(isRecoverable(err)).toBe(true);
    expect(simPots(world)).not.toContain(taskPot(task));
  });
});

describe("exec with a tty", () => {
  test("nomad alloc exec -i -t: a terminal, stdin, resize and the exit code", async () => {
    const task = nomadTask(world, "tty", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    await startTask(plugin, task);
    const session = openExecStream(plugin);
    const { call } = session;
    call.write({
      setup: {
        taskId: task.config.id,
        command: ["sh", "-c", "test -t 0 && echo is-a-tty; stty size; read line; echo got:$line; exit 5"],
        tty: true,
      },
      ttySize: { height: 40, width: 100 },
      stdin: undefined,
    });
    await waitFor("tty output", () => session.stdout().includes("is-a-tty"));
    call.write({ setup: undefined, ttySize: undefined, stdin: undefined }); // heartbeat
    call.write({ setup: undefined, ttySize: undefined, stdin: { data: Buffer.from("hello\n"), close: false } });
    const exited = await waitFor("exit", session.exited);
    expect(session.stdout()).toContain("40 100");
    expect(session.stdout()).toContain("got:hello");
    expect(exited.result?.exitCode).toBe(5);
    call.end();
    await destroyTask(plugin, task);
  });
});

describe("recovery after kill -9 of the plugin", () => {
  test("a running task is re-attached and its later exit is reported exactly", async () => {
    const flag = join(world.hostDir, `flag-${crypto.randomUUID()}`);
    const task = nomadTask(
      world,
      "survivor",
      seedDriverConfig(world, { command: "wait-for", args: [flag], network_mode: "host", port_map: null }),
    );
    const started = await startUnderKilledPlugin(world, task, "waiting");

    const second = await launchConfiguredPlugin(world);
    // Nomad's handle after an agent restart: no driver config.
    const handle = handleAfterAgentRestart(started);
    await unary(second.driver.recoverTask, second.driver, { taskId: "", handle });
    await unary(second.driver.recoverTask, second.driver, { taskId: "", handle });
    const inspect = await unary(second.driver.inspectTask, second.driver, { taskId: task.config.id });
    expect(inspect.task?.state).toBe(TaskState.RUNNING);
    const waiting = waitTask(second, task);
    writeFileSync(flag, "7");
    const waited = await waiting;
    expect(waited.result).toEqual({ exitCode: 7, signal: 0, oomKilled: false });
    await destroyTask(second, task);
    second.close();
  });

  test("a task that exited while the plugin was down reports its real exit code", async () => {
    const flag = join(world.hostDir, `flag-${crypto.randomUUID()}`);
    const task = nomadTask(
      world,
      "exited-while-down",
      seedDriverConfig(world, { command: "wait-for", args: [flag], network_mode: "host", port_map: null }),
    );
    const started = await startUnderKilledPlugin(world, task, "waiting");
    const state = startedDriverState<{ bundleDir: string }>(started);
    writeFileSync(flag, "42");
    await waitFor("exit record", () => existsSync(join(state.bundleDir, "exit.json")), 15_000);

    const second = await launchConfiguredPlugin(world);
    await unary(second.driver.recoverTask, second.driver, { taskId: "", handle: started.handle });
    const waited = await waitTask(second, task);
    expect(waited.result).toEqual({ exitCode: 42, signal: 0, oomKilled: false });
    await destroyTask(second, task);
    expect(simPots(world)).not.toContain(taskPot(task));
    second.close();
  });

  test("a task whose bundle is corrupt is a DATA_LOSS error naming the task and the problem; destroy removes everything", async () => {
    const task = nomadTask(world, "corrupt", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    const started = await startUnderKilledPlugin(world, task);
    const state = startedDriverState<{ bundleDir: string; supervisorPid: number }>(started);
    writeFileSync(join(state.bundleDir, "spec.json"), "{ not json");

    const second = await launchConfiguredPlugin(world);
    try {
      const err = await unary(second.driver.recoverTask, second.driver, { taskId: "", handle: started.handle }).catch(
        (e: grpc.ServiceError) => e,
      );
      expect((err as grpc.ServiceError).code).toBe(grpc.status.DATA_LOSS);
      expect((err as grpc.ServiceError).details).toBe(
        `failed to recover task ${task.config.id}: failed to read bundle ${state.bundleDir}: spec.json is not JSON`,
      );
    } finally {
      // What Nomad does next (task_runner.go restoreHandle): DestroyTask with force.
      await destroyTask(second, task).finally(() => second.close());
    }
    expect(simPots(world)).not.toContain(taskPot(task));
    expect(existsSync(state.bundleDir)).toBe(false);
    await waitFor("the supervisor to end", () => !isLiveProcess(state.supervisorPid));
  });

  test("a task whose pot vanished is an error so Nomad restarts it", async () => {
    const task = nomadTask(world, "vanished", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    const started = await startUnderKilledPlugin(world, task);
    const destroyed = Bun.spawnSync([join(import.meta.dir, "../fakes/pot"), "destroy", "-F", "-p", taskPot(task)], {
      env: { ...process.env, ...world.env },
    });
    expect(destroyed.exitCode).toBe(0);
    const second = await launchConfiguredPlugin(world);
    const err = await unary(second.driver.recoverTask, second.driver, { taskId: "", handle: started.handle }).catch(
      (e: grpc.ServiceError) => e,
    );
    expect((err as grpc.ServiceError).code).toBeDefined();
    expect((err as grpc.ServiceError).details).toContain(taskPot(task));
    await destroyTask(second, task);
    second.close();
  });
});
