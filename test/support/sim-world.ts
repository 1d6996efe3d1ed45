// A pot-simulator world for driving the compiled plugin: simulator state dir, a served test image, Nomad-style
// allocation dirs with real log FIFOs and readers, and helpers to build Nomad's StartTask/SetConfig messages.
import { afterAll, beforeAll } from "bun:test";
import { encode } from "@msgpack/msgpack";
import type { Subprocess } from "bun";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFileServer, type FileServer } from "../fakes/file-server.ts";
import { installSimPot } from "../fakes/simulator.ts";
import { freebsdBase } from "../fakes/jail-base.ts";
import { buildPotImage, type ImageFile } from "../fakes/pot-image.ts";
import { type StartTaskResponse, TaskConfig } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { REAL_POT_PATH, realPotImage, realPots } from "./pot-under-test.ts";
import { type LaunchedPlugin, launchPlugin, startTask, unary } from "./plugin.ts";
import { waitFor } from "./wait.ts";

export const IMAGE_NAME = REAL_POT_PATH ? realPotImage().name : "FBSD120-nginx";
export const IMAGE_TAG = REAL_POT_PATH ? realPotImage().tag : "1.0";

/** Programs the test image provides (in-jail paths); scripts/test.sh puts the same into the real-pot image. */
export const IMAGE_FILES: Record<string, { content: string; mode: number }> = {
  // A long-running "nginx": prints on start, on HUP and on TERM (then exits 0).
  "/usr/local/sbin/nginx": {
    mode: 0o755,
    content: `#!/bin/sh
echo "nginx starting: $*"
echo "nginx stderr line" >&2
trap 'echo "nginx reloading"' HUP
trap 'echo "nginx stopping"; exit 0' TERM
while :; do sleep 1 & wait $!; done
`,
  },
  // Prints a line and exits with $1.
  "/usr/local/bin/finish": { mode: 0o755, content: `#!/bin/sh\necho "finishing with $1"\nexit "$1"\n` },
  // Ignores SIGINT (and only that) forever.
  "/usr/local/bin/stubborn": { mode: 0o755, content: `#!/bin/sh\ntrap '' INT\necho ready\nwhile :; do sleep 1; done\n` },
  // Waits for a host file to appear, then exits with the code written in it.
  "/usr/local/bin/wait-for": {
    mode: 0o755,
    content: `#!/bin/sh\necho waiting\nwhile [ ! -f "$1" ]; do sleep 0.05; done\nexit "$(cat "$1")"\n`,
  },
  "/usr/local/www/nginx-dist/placeholder": { mode: 0o644, content: "image file\n" },
  // Prints the credentials and login variables it runs with (the simulator reports credentials in POT_SIM_*),
  // then stays up until TERM.
  "/usr/local/bin/creds": {
    mode: 0o755,
    content: `#!/bin/sh
echo "creds: uid=$POT_SIM_UID gid=$POT_SIM_GID groups=$POT_SIM_GROUPS user=$USER home=$HOME"
trap 'exit 0' TERM
while :; do sleep 1 & wait $!; done
`,
  },
};

/**
 * What a FreeBSD base gives the simulator's image (a real base has its own): the user database and chroot(8),
 * plus an account with a home and a supplementary group.
 */
const SIMULATED_BASE_FILES: Record<string, ImageFile> = {
  ...freebsdBase({ passwd: ["app:*:1001:1001:Application:/home/app:/bin/sh"], group: ["app:*:1001:", "shared:*:2000:www,app"] }),
  "/home/app/.profile": { mode: 0o644, content: "# app's home\n" },
};

export interface SimWorld {
  root: string;
  simRoot: string;
  /** This world's pot: the simulator with POT_SIM_ROOT fixed in it (the plugin passes pot no environment). */
  potPath: string;
  stateDir: string;
  hostDir: string;
  server: FileServer;
  imageUrl: string;
  env: Record<string, string>;
  /** FIFO readers started for tasks; killed by cleanup (a task that never ran leaves its reader blocked). */
  readers: Subprocess[];
  /** With real pot: the host's pots when the world was made (the world's own pots are the others). */
  potsBefore: ReadonlySet<string>;
  /** Kills what the world still runs, stops its image server and removes its root. */
  cleanup: () => Promise<void>;
}

export async function createSimWorld(): Promise<SimWorld> {
  const root = mkdtempSync(join(tmpdir(), "potsim-"));
  const simRoot = join(root, "sim");
  const stateDir = join(root, "state");
  const hostDir = join(root, "host");
  const images = join(root, "images");
  for (const d of [simRoot, stateDir, hostDir, images, join(hostDir, "test"), join(hostDir, "test2")]) mkdirSync(d, { recursive: true });
  writeFileSync(join(hostDir, "index.html"), "<h1>hello from the host</h1>\n");
  writeFileSync(join(hostDir, "nginx.conf"), "worker_processes 1;\n");
  if (!REAL_POT_PATH) await buildPotImage(images, { name: IMAGE_NAME, tag: IMAGE_TAG, files: { ...IMAGE_FILES, ...SIMULATED_BASE_FILES } });
  const server = startFileServer(images);
  const potsBefore = REAL_POT_PATH ? new Set(realPots()) : new Set<string>();
  const readers: Subprocess[] = [];
  return {
    readers,
    root,
    simRoot,
    potPath: REAL_POT_PATH ?? installSimPot(join(root, "bin"), { POT_SIM_ROOT: simRoot }),
    stateDir,
    hostDir,
    server,
    imageUrl: REAL_POT_PATH ? realPotImage().url : `${server.url}/`,
    env: { POT_SIM_ROOT: simRoot },
    potsBefore,
    cleanup: async () => {
      for (const reader of readers) reader.kill("SIGKILL");
      // Anything a failed test left running (supervisors, jailed commands, readers) has this world's root in its argv.
      Bun.spawnSync(["pkill", "-KILL", "-f", root]);
      await server.stop();
      // Killed processes may still be writing below the root for a moment; the root goes once they are gone.
      const deadline = Date.now() + 5_000;
      while (Bun.spawnSync(["pgrep", "-f", root]).exitCode === 0 && Date.now() < deadline) await Bun.sleep(50);
      rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export function pluginConfigBytes(world: SimWorld, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    encode({
      allowed_host_paths: [world.hostDir],
      enabled: true,
      fingerprint_period: "30s",
      log_level: "debug",
      pot_path: world.potPath,
      state_dir: world.stateDir,
      ...extra,
    }),
  );
}

export async function launchConfiguredPlugin(world: SimWorld): Promise<LaunchedPlugin> {
  const plugin = await launchPlugin(world.env);
  await unary(plugin.base.setConfig, plugin.base, {
    msgpackConfig: pluginConfigBytes(world),
    nomadConfig: { driver: { ClientMaxPort: 14512, ClientMinPort: 14000, Topology: undefined } },
    pluginApiVersion: "v0.1.0",
  });
  return plugin;
}

/**
 * A world and a configured plugin for the calling test file: made before its first test (then `ready` gets them),
 * the plugin killed and the world removed after its last.
 */
export function setUpPluginWorld(ready: (world: SimWorld, plugin: LaunchedPlugin) => void | Promise<void>): void {
  let world: SimWorld | undefined;
  let plugin: LaunchedPlugin | undefined;
  beforeAll(async () => {
    world = await createSimWorld();
    plugin = await launchConfiguredPlugin(world);
    await ready(world, plugin);
  });
  afterAll(async () => {
    plugin?.close();
    await world?.cleanup();
  });
}

/** Starts the task under a plugin of its own, waits for `line` in its stdout (when given), then kill -9s that plugin. */
export async function startUnderKilledPlugin(world: SimWorld, task: TaskWorld, line?: string): Promise<StartTaskResponse> {
  const first = await launchConfiguredPlugin(world);
  const started = await startTask(first, task);
  if (line !== undefined) await waitFor(`"${line}" in the task's stdout`, () => task.stdout().includes(line));
  first.proc.kill("SIGKILL");
  await first.proc.exited;
  first.close();
  return started;
}

/** The seed job's task config, as Nomad encodes it (every declared key present, port_map as a list of maps). */
export function seedDriverConfig(world: SimWorld, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    args: null,
    attributes: null,
    command: "nginx -g 'daemon off;'",
    copy: [
      `${world.hostDir}/index.html:/usr/local/www/nginx-dist/index.html`,
      `${world.hostDir}/nginx.conf:/usr/local/etc/nginx/nginx.conf`,
    ],
    extra_hosts: null,
    image: world.imageUrl,
    mount: [`${world.hostDir}/test:/root/test`],
    mount_read_only: [`${world.hostDir}/test2:/root/test2`],
    network_mode: "public-bridge",
    pot: IMAGE_NAME,
    port_map: [{ http: "80" }],
    tag: IMAGE_TAG,
    ...overrides,
  };
}

export interface TaskWorld {
  config: TaskConfig;
  allocDir: string;
  stdout: () => string;
  stderr: () => string;
  readers: Subprocess[];
}

let counter = 0;

/** A Nomad TaskConfig with a fresh alloc dir and log FIFOs whose readers (cat) start right away. */
export function nomadTask(world: SimWorld, taskName: string, driverConfig: Record<string, unknown>, hostPort = 28080): TaskWorld {
  counter += 1;
  const allocId = crypto.randomUUID();
  const invocation = (0x10000000 + counter * 7919 + Math.floor(Math.random() * 1000)).toString(16).slice(0, 8);
  const allocDir = join(world.root, "allocs", allocId);
  for (const d of [join(allocDir, taskName, "local"), join(allocDir, taskName, "secrets"), join(allocDir, "alloc", "logs")]) {
    mkdirSync(d, { recursive: true });
  }
  const stdoutPath = join(allocDir, "alloc", "logs", `.${taskName}.stdout.fifo`);
  const stderrPath = join(allocDir, "alloc", "logs", `.${taskName}.stderr.fifo`);
  for (const fifo of [stdoutPath, stderrPath]) {
    const made = Bun.spawnSync(["mkfifo", fifo]);
    if (made.exitCode !== 0) throw new Error(`mkfifo ${fifo} failed`);
  }
  const collect = (path: string): { proc: Subprocess<"ignore", "pipe", "ignore">; text: () => string } => {
    const proc = Bun.spawn(["cat", path], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
    world.readers.push(proc);
    let text = "";
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) text += decoder.decode(chunk, { stream: true });
    })();
    return { proc, text: () => text };
  };
  const out = collect(stdoutPath);
  const err = collect(stderrPath);
  const config = TaskConfig.fromPartial({
    id: `${allocId}/${taskName}/${invocation}`,
    name: taskName,
    allocId,
    jobName: "job",
    taskGroupName: "group",
    namespace: "default",
    allocDir,
    stdoutPath,
    stderrPath,
    env: {
      NOMAD_TASK_DIR: "/local",
      NOMAD_ALLOC_DIR: "/alloc",
      NOMAD_SECRETS_DIR: "/secrets",
      NOMAD_ALLOC_ID: allocId,
      NOMAD_HOST_PORT_http: String(hostPort),
      GREETING: "hello world",
    },
    resources: {
      allocatedResources: { cpu: { cpuShares: 100n }, memory: { memoryMb: 64n, memoryMaxMb: 0n }, networks: [] },
      linuxResources: { PercentTicks: 0.05, memoryLimitBytes: 64n * 1024n * 1024n, cpuShares: 100n },
      ports: [{ label: "http", value: hostPort, to: 0, hostIp: "127.0.0.1" }],
    },
    msgpackDriverConfig: Buffer.from(encode(driverConfig)),
  });
  return { config, allocDir, stdout: out.text, stderr: err.text, readers: [out.proc, err.proc] };
}

/** Pot names the simulator knows (its jails dir); with real pot, the pots made since the world was. */
export function simPots(world: SimWorld): string[] {
  if (REAL_POT_PATH) return realPots().filter((pot) => !world.potsBefore.has(pot));
  try {
    return readdirSync(join(world.simRoot, "jails"));
  } catch {
    return [];
  }
}

/** The pot of a task the driver started: `<task>_<invocation>_<alloc>` (Nomad's ids need no rewriting). */
export function taskPot(task: TaskWorld): string {
  const [allocId, taskName, invocation] = task.config.id.split("/");
  return `${taskName}_${invocation}_${allocId}`;
}

export function bundles(world: SimWorld): string[] {
  try {
    return readdirSync(join(world.stateDir, "tasks")).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
}
