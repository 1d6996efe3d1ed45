// The log path is no door to the host: /alloc/logs is mounted read-only in the jail, and a task that replaces
// its log FIFO or the logs directory with a symlink to a host file (as it could before, or through another
// task of the allocation) gets nothing written to or read from it by the root supervisor (docs/security.md).
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DriverTaskEvent, TaskConfig } from "../../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { destroyTask, type LaunchedPlugin, startTask, waitTask } from "../../support/plugin.ts";
import { setUpPluginWorld, nomadTask, seedDriverConfig, type SimWorld, simPots, type TaskWorld } from "../../support/sim-world.ts";
import { waitFor } from "../../support/wait.ts";

const CANARY_TEXT = "host canary: never to be written or read through a task's logs\n";

let world: SimWorld;
let plugin: LaunchedPlugin;
const events: DriverTaskEvent[] = [];

setUpPluginWorld((w, p) => {
  world = w;
  plugin = p;
  const stream = plugin.driver.taskEvents({});
  stream.on("data", (e: DriverTaskEvent) => events.push(e));
  stream.on("error", () => {});
});

/** A host file the task must not reach: outside every directory of the task. */
function canary(name: string): string {
  const dir = join(world.root, "host-secrets", name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "canary");
  writeFileSync(file, CANARY_TEXT);
  return file;
}

/** The same task restarted by Nomad: same allocation directory and log paths, next invocation. */
function restarted(task: TaskWorld, invocation: string): TaskConfig {
  const [allocId, name] = task.config.id.split("/");
  return TaskConfig.fromPartial({ ...task.config, id: `${allocId}/${name}/${invocation}` });
}

async function runToEnd(config: TaskConfig): Promise<{ exitCode: number | undefined; err: string }> {
  await startTask(plugin, { config });
  const waited = await waitTask(plugin, { config });
  return { exitCode: waited.result?.exitCode, err: waited.err };
}

test("the running jail's mount table shows /alloc/logs read-only, after /alloc", async () => {
  const task = nomadTask(world, "mounts", seedDriverConfig(world));
  await startTask(plugin, task);
  const pot = simPots(world).find((name) => name.startsWith("mounts_")) as string;
  const table = await waitFor("the mount table", () => {
    const file = join(world.simRoot, "run", `${pot}.mounts`);
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  });
  const lines = table.split("\n");
  const alloc = lines.findIndex((line) => line.startsWith(`${task.allocDir}/alloc on `) && line.endsWith("/m/alloc (nullfs, local)"));
  const logs = lines.indexOf(`${task.allocDir}/alloc/logs on ${world.simRoot}/jails/${pot}/m/alloc/logs (nullfs, read-only)`);
  expect(alloc).toBeGreaterThanOrEqual(0);
  expect(logs).toBeGreaterThan(alloc);
  await destroyTask(plugin, task.config.id);
});

test("a log FIFO replaced by a symlink to a host file: the restarted task is refused, the file untouched", async () => {
  const target = canary("fifo");
  // Inside a real jail this fails (/alloc/logs is read-only); the simulator cannot stop a jailed command's
  // writes, which stands for a task of another driver in the same allocation, or one from before the mount.
  const task = nomadTask(world, "web", {
    ...seedDriverConfig(world),
    command: `sh -c 'echo task-output; f=$POT_SIM_JAIL_ROOT/alloc/logs/.web.stdout.fifo; rm -f "$f" && ln -s ${target} "$f" && echo replaced >&2'`,
  });
  expect(await runToEnd(task.config)).toEqual({ exitCode: 0, err: "" });
  await waitFor("the task's note", () => task.stderr().includes("replaced"));
  await destroyTask(plugin, task.config.id);

  const again = restarted(task, "a1b2c3d4");
  const ended = await runToEnd(again);
  expect(ended.err).toContain(`supervisor refused stdout destination ${task.config.stdoutPath}: it is a symlink`);
  const event = await waitFor("the refusal as a task event", () =>
    events.find((e) => e.taskId === again.id && e.message.startsWith("Task not started: supervisor refused stdout")),
  );
  expect(event.message).toContain("it is a symlink");
  expect(readFileSync(target, "utf8")).toBe(CANARY_TEXT);
  await destroyTask(plugin, again.id);
  expect(simPots(world).filter((name) => name.startsWith("web_"))).toEqual([]);
});

test("/alloc/logs replaced by a symlink to a host directory: the restart is refused before any mount", async () => {
  const target = canary("dir");
  const hostDir = join(target, "..");
  // A regular file named like the FIFO, where the root supervisor would append the task's output.
  writeFileSync(join(hostDir, ".api.stdout.fifo"), CANARY_TEXT);
  const task = nomadTask(world, "api", {
    ...seedDriverConfig(world),
    command: `sh -c 'echo task-output; d=$POT_SIM_JAIL_ROOT/alloc; mv "$d/logs" "$d/logs.moved" && ln -s ${hostDir} "$d/logs" && echo replaced >&2'`,
  });
  expect(await runToEnd(task.config)).toEqual({ exitCode: 0, err: "" });
  await destroyTask(plugin, task.config.id);

  const again = restarted(task, "b2c3d4e5");
  const err = await startTask(plugin, { config: again }).catch((e: unknown) => e as Error);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toContain(`refusing to mount ${task.allocDir}/alloc/logs leads to ${hostDir}`);
  expect(readFileSync(target, "utf8")).toBe(CANARY_TEXT);
  expect(readFileSync(join(hostDir, ".api.stdout.fifo"), "utf8")).toBe(CANARY_TEXT);
  expect(simPots(world).filter((name) => name.startsWith("api_"))).toEqual([]);
});
