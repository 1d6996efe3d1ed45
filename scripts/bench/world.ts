// The benchmark's world: simulator, plugin and tasks from the integration-test helpers, and its teardown.
//
// The pot simulator serves the test image; one plugin is launched as Nomad launches it and configured with the
// default log level; tasks are Nomad-style; the teardown leaves no process or directory behind.
import { rmSync } from "node:fs";
import { TaskState, type TaskStatsResponse } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { type LaunchedPlugin, launchPlugin, unary } from "../../test/support/plugin.ts";
import {
  createSimWorld,
  nomadTask,
  pluginConfigBytes,
  seedDriverConfig,
  type SimWorld,
  type TaskWorld,
} from "../../test/support/sim-world.ts";
import { allPids, argvOf, procStat } from "./procfs.ts";
import { sweepWorld } from "./sweep.ts";

const CALL_TIMEOUT_MS = 120_000;

export interface StatsStreams {
  /** Samples received so far, per task. */
  counts: number[];
  total: () => number;
  cancel: () => void;
}

export class BenchWorld {
  readonly sessions = new Set<number>();
  readonly #streams: StatsStreams[] = [];

  private constructor(
    readonly sim: SimWorld,
    readonly plugin: LaunchedPlugin,
  ) {}

  /** Creates the simulator world and a configured plugin whose socket lives in `socketDir`. */
  static async open(socketDir: string): Promise<BenchWorld> {
    const sim = await createSimWorld();
    let plugin: LaunchedPlugin | undefined;
    try {
      plugin = await launchPlugin({ ...sim.env, PLUGIN_UNIX_SOCKET_DIR: socketDir });
      // log_level is left at the plugin's default (info), as an operator's agent would run it.
      await unary(plugin.base.setConfig, plugin.base, {
        msgpackConfig: pluginConfigBytes(sim, { log_level: "info" }),
        nomadConfig: { driver: { ClientMaxPort: 14512, ClientMinPort: 14000, Topology: undefined } },
        pluginApiVersion: "v0.1.0",
      });
      return new BenchWorld(sim, plugin);
    } catch (err) {
      plugin?.close();
      await teardown(sim, new Set());
      throw err;
    }
  }

  get pid(): number {
    return this.plugin.proc.pid;
  }

  /** The seed job's task (public-bridge, port_map, copy, mount, mount_read_only). */
  seedTask(name: string): TaskWorld {
    return nomadTask(this.sim, name, seedDriverConfig(this.sim));
  }

  /** A light long-running task: the image's nginx on the host network, nothing copied or mounted. */
  lightTask(name: string, hostPort: number): TaskWorld {
    const config = seedDriverConfig(this.sim, {
      command: "nginx",
      network_mode: "host",
      port_map: null,
      copy: null,
      mount: null,
      mount_read_only: null,
    });
    return nomadTask(this.sim, name, config, hostPort);
  }

  async start(task: TaskWorld): Promise<void> {
    const res = await unary(this.plugin.driver.startTask, this.plugin.driver, { task: task.config }, CALL_TIMEOUT_MS);
    if (res.handle?.state !== TaskState.RUNNING) throw new Error(`task ${task.config.name} did not start: ${res.handle?.state}`);
    const state = JSON.parse(Buffer.from(res.handle.driverState).toString()) as { supervisorPid?: number };
    // Each supervisor leads its own session; everything the task runs stays in it (used by the teardown).
    if (typeof state.supervisorPid === "number") this.sessions.add(state.supervisorPid);
  }

  /** Nomad's stop sequence: StopTask with SIGTERM, WaitTask for the exit, then DestroyTask. */
  async stopAndDestroy(task: TaskWorld): Promise<void> {
    const taskId = task.config.id;
    await unary(
      this.plugin.driver.stopTask,
      this.plugin.driver,
      { taskId, timeout: { seconds: 5n, nanos: 0 }, signal: "" },
      CALL_TIMEOUT_MS,
    );
    await unary(this.plugin.driver.waitTask, this.plugin.driver, { taskId }, CALL_TIMEOUT_MS);
    await unary(this.plugin.driver.destroyTask, this.plugin.driver, { taskId, force: true }, CALL_TIMEOUT_MS);
  }

  /** Opens one TaskStats stream per task at `intervalMs` and counts the samples each delivers. */
  streamStats(tasks: readonly TaskWorld[], intervalMs: number): StatsStreams {
    const counts = tasks.map(() => 0);
    const calls = tasks.map((task, i) => {
      const call = this.plugin.driver.taskStats({
        taskId: task.config.id,
        collectionInterval: { seconds: BigInt(Math.floor(intervalMs / 1000)), nanos: (intervalMs % 1000) * 1_000_000 },
      });
      call.on("data", (_sample: TaskStatsResponse) => {
        counts[i] = (counts[i] ?? 0) + 1;
      });
      call.on("error", () => {});
      return call;
    });
    const streams: StatsStreams = {
      counts,
      total: () => counts.reduce((a, b) => a + b, 0),
      cancel: () => {
        for (const call of calls) call.cancel();
      },
    };
    this.#streams.push(streams);
    return streams;
  }

  /** Live supervisors of this plugin: `/bin/sh <state dir>/…/supervise.sh …`, children of the plugin. */
  supervisorPids(): number[] {
    return allPids().filter((pid) => {
      const argv = argvOf(pid);
      return (
        argv[0] === "/bin/sh" &&
        (argv[1] ?? "").startsWith(this.sim.stateDir) &&
        (argv[1] ?? "").endsWith("/supervise.sh") &&
        procStat(pid)?.ppid === this.pid
      );
    });
  }

  /** Ends every stream, the plugin and every process of the world, then removes its directory. */
  async close(): Promise<void> {
    for (const streams of this.#streams) streams.cancel();
    this.plugin.close();
    await this.plugin.proc.exited;
    await teardown(this.sim, this.sessions);
  }
}

async function teardown(sim: SimWorld, sessions: ReadonlySet<number>): Promise<void> {
  for (const reader of sim.readers) reader.kill("SIGKILL");
  const left = await sweepWorld(sim.root, sessions);
  await sim.server.stop();
  rmSync(sim.root, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`processes of the benchmark world outlived the teardown: ${left.join(", ")}`);
}
