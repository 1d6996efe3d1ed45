// pot 0.16.1's behaviour through the compiled plugin and the simulator: a pot is started half a second after its
// jail exists, pot start's own cleanup holds `stopping`, stop_timeout sets how long `pot stop` takes, and a pot
// start killed midway leaves a pot that only a stop can unmount (docs/pot-behaviour.md).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InvocationRecord } from "../fakes/pot-sim/record.ts";
import { invocations, setKnobs } from "../support/residue.ts";
import { type LaunchedPlugin, unary, startTask, waitTask, stopTask, destroyTask, execTask } from "../support/plugin.ts";
import type { DriverTaskEvent } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { buildPotImage } from "../fakes/pot-image.ts";
import {
  setUpPluginWorld,
  IMAGE_FILES,
  launchConfiguredPlugin,
  nomadTask,
  seedDriverConfig,
  type SimWorld,
  simPots,
  taskPot,
} from "../support/sim-world.ts";
import { waitFor } from "../support/wait.ts";
import { isLiveProcess } from "../support/host.ts";

let world: SimWorld;
let plugin: LaunchedPlugin;
setUpPluginWorld((w, p) => {
  world = w;
  plugin = p;
});

function invocationsFor(pot: string): InvocationRecord[] {
  return invocations(world).filter((r) => r.argv.includes(pot));
}

function simStatus(pot: string): string {
  const file = join(world.simRoot, "tmp", `pot_status_${pot}`);
  return existsSync(file) ? readFileSync(file, "utf8").trim() : "";
}

function jailRecord(pot: string): { startPid: number; mainPid?: number } | undefined {
  const file = join(world.simRoot, "run", `${pot}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { startPid: number; mainPid?: number }) : undefined;
}

describe("start readiness", () => {
  test("signal and stop right after StartTask reach the task, even when pot takes long to mark the pot started", async () => {
    const task = nomadTask(world, "early", seedDriverConfig(world));
    const pot = taskPot(task);
    setKnobs(world, { "start-settle": { action: "delay", delayMs: 2_000, pot } });
    try {
      await startTask(plugin, task);
    } finally {
      setKnobs(world, {});
    }
    expect(simStatus(pot)).toMatch(/^pot\.status=started,/);
    await unary(plugin.driver.signalTask, plugin.driver, { taskId: task.config.id, signal: "SIGHUP" });
    await waitFor("reload line", () => task.stdout().includes("nginx reloading"));
    await stopTask(plugin, task);
    expect((await waitTask(plugin, task, 60_000)).result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    // Readiness was read from pot's state files: no `pot info -r` or `pot signal -C` per check.
    const polls = invocationsFor(pot).filter(
      (r) => (r.argv[0] === "info" && r.argv.includes("-r")) || (r.argv[0] === "signal" && r.argv.includes("-C")),
    );
    expect(polls.map((r) => r.argv.join(" "))).toEqual([]);
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(pot);
  }, 60_000);

  test("a stop right after StartTask stops the task", async () => {
    const task = nomadTask(world, "quickstop", seedDriverConfig(world));
    await startTask(plugin, task);
    await stopTask(plugin, task);
    expect((await waitTask(plugin, task, 60_000)).result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    await destroyTask(plugin, task);
  }, 60_000);
});

describe("stopping", () => {
  test("a stop that finds pot already stopping the pot (its own cleanup after the command ended) succeeds", async () => {
    const flag = join(world.hostDir, `flag-${crypto.randomUUID()}`);
    const task = nomadTask(world, "selfstop", seedDriverConfig(world, { command: "wait-for", args: [flag] }));
    const pot = taskPot(task);
    await startTask(plugin, task);
    await waitFor("waiting line", () => task.stdout().includes("waiting"));
    writeFileSync(flag, "5");
    // pot start's cleanup holds `stopping` for a second per epair (public-bridge has one).
    await waitFor("pot start's cleanup", () => simStatus(pot).startsWith("pot.status=stopping,"), 15_000);
    await stopTask(plugin, task, "", 0);
    expect((await waitTask(plugin, task, 60_000)).result).toEqual({ exitCode: 5, signal: 0, oomKilled: false });
    const stops = invocationsFor(pot).filter((r) => r.argv[0] === "stop" && !r.argv.includes("-s"));
    expect(stops.length).toBeGreaterThanOrEqual(1);
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(pot);
  }, 60_000);

  test("a stop_timeout longer than kill_timeout: pot stop waits it out and the task is killed", async () => {
    const command = `/bin/sh -c 'trap "" TERM; echo ready; while :; do sleep 0.2; done'`;
    const task = nomadTask(
      world,
      "slowstop",
      seedDriverConfig(world, { command, network_mode: "host", port_map: null, attributes: ["stop_timeout:4"] }),
    );
    const started = await startTask(plugin, task);
    const state = JSON.parse(Buffer.from(started.handle?.driverState ?? []).toString()) as { stopTimeoutS?: number };
    expect(state.stopTimeoutS).toBe(4);
    await waitFor("ready", () => task.stdout().includes("ready"));
    const began = Date.now();
    await stopTask(plugin, task, "SIGTERM", 1);
    expect(Date.now() - began).toBeGreaterThanOrEqual(5_000);
    expect((await waitTask(plugin, task, 60_000)).result).toEqual({ exitCode: 137, signal: 9, oomKilled: false });
    expect(simStatus(taskPot(task))).toBe("pot.status=stopped,");
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(taskPot(task));
  }, 60_000);
});

describe("half-started pots", () => {
  test("DestroyTask releases a pot that a killed pot start left starting with its mounts, and says so", async () => {
    const task = nomadTask(world, "halfstart", seedDriverConfig(world));
    const pot = taskPot(task);
    setKnobs(world, { "start-settle": { action: "delay", delayMs: 600_000, pot } });
    let mainPid = 0;
    try {
      const starting = startTask(plugin, task);
      await waitFor("the jail's command", () => jailRecord(pot)?.mainPid, 20_000);
      mainPid = jailRecord(pot)?.mainPid ?? 0;
      // pot start dies midway (as when its process is killed): status `starting`, mounts and command stay.
      process.kill(jailRecord(pot)?.startPid ?? 0, "SIGKILL");
      await starting;
    } finally {
      setKnobs(world, {});
    }
    expect(simStatus(pot)).toBe("pot.status=starting,");
    expect(existsSync(join(world.simRoot, "run", `${pot}.mounts`))).toBe(true);
    await destroyTask(plugin, task);
    expect(simPots(world)).not.toContain(pot);
    expect(isLiveProcess(mainPid)).toBe(false);
    const said = plugin.stderrLines().find((line) => line.includes(`pot ${pot} was left starting by a pot start that no longer runs`));
    expect(said).toBeDefined();
  }, 60_000);
});

describe("copies under mounts", () => {
  test("a copy under /local and one under a user mount reach the jail; a planted symlink is refused, not followed", async () => {
    const task = nomadTask(
      world,
      "copyunder",
      seedDriverConfig(world, {
        copy: [`${world.hostDir}/index.html:/local/site/index.html`, `${world.hostDir}/nginx.conf:/root/test/conf/nginx.conf`],
      }),
    );
    await startTask(plugin, task);
    const exec = await execTask(plugin, task, [
      "sh",
      "-c",
      'cat "$POT_SIM_JAIL_ROOT/local/site/index.html" "$POT_SIM_JAIL_ROOT/root/test/conf/nginx.conf"',
    ]);
    expect(Buffer.from(exec.stdout).toString()).toBe("<h1>hello from the host</h1>\nworker_processes 1;\n");
    expect(exec.result?.exitCode).toBe(0);
    await stopTask(plugin, task);
    await destroyTask(plugin, task);

    // The task's own directory is the task's: a link planted there is not followed by the root-run copy.
    const planted = nomadTask(world, "planted", seedDriverConfig(world, { copy: [`${world.hostDir}/index.html:/local/etc/passwd`] }));
    symlinkSync("/etc", join(planted.allocDir, "planted", "local", "etc"));
    const err = (await startTask(plugin, planted).catch((e: Error) => e)) as Error;
    expect(err.message).toContain("/local/etc is a symbolic link in the mounted directory");
    expect(simPots(world)).not.toContain(taskPot(planted));
  }, 60_000);
});

describe("pot's global lock", () => {
  test("20 concurrent starts behind one slow image download: they queue, say so, and no prepare deadline fires", async () => {
    // prepare's deadline (9 s) is longer than the download (6 s) but shorter than the whole queue behind it.
    await buildPotImage(join(world.root, "images"), { name: "slow-img", tag: "1.0", files: IMAGE_FILES });
    world.env.POT_DRIVER_PREPARE_TIMEOUT = "9s";
    const queued = await launchConfiguredPlugin(world);
    delete world.env.POT_DRIVER_PREPARE_TIMEOUT;
    const events: DriverTaskEvent[] = [];
    const stream = queued.driver.taskEvents({});
    stream.on("data", (e: DriverTaskEvent) => events.push(e));
    stream.on("error", () => {});
    setKnobs(world, { "image-fetch": { action: "delay", delayMs: 6_000, pot: "slow-img" } });
    const config = {
      pot: "slow-img",
      command: "stubborn",
      network_mode: "host",
      port_map: null,
      copy: null,
      mount: null,
      mount_read_only: null,
    };
    const tasks = Array.from({ length: 20 }, (_, i) => nomadTask(world, `queued${i}`, seedDriverConfig(world, config)));
    try {
      const results = await Promise.allSettled(
        tasks.map((t) => unary(queued.driver.startTask, queued.driver, { task: t.config }, 180_000)),
      );
      expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const waiting = events.filter((e) => e.message.startsWith("Waiting for pot: "));
      const aheads = waiting.map((e) => Number(e.annotations.ahead));
      // Everyone but the first queued behind the download, each told how many were ahead of it.
      expect(new Set(waiting.map((e) => e.taskName)).size).toBe(19);
      expect(Math.max(...aheads)).toBe(19);
      expect(waiting.find((e) => e.annotations.ahead === "1")?.message).toBe("Waiting for pot: 1 task ahead");
      expect(queued.stderrLines().some((l) => l.includes("timed out"))).toBe(false);
    } finally {
      setKnobs(world, {});
      await Promise.allSettled(
        tasks.map((t) => unary(queued.driver.destroyTask, queued.driver, { taskId: t.config.id, force: true }, 120_000)),
      );
      stream.cancel();
      queued.close();
    }
    for (const t of tasks) expect(simPots(world)).not.toContain(taskPot(t));
  }, 240_000);
});
