// The task sees nothing of the agent: the compiled plugin is started with a canary (and go-plugin's own
// variables) in its environment, as Nomad starts it with the agent's whole environment; the task's own `env`,
// run as its command, and every pot process must show none of it (docs/security.md).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readInvocations } from "../../fakes/simulator.ts";
import { destroyTask, launchPlugin, type LaunchedPlugin, startTask, unary, waitTask } from "../../support/plugin.ts";
import { createSimWorld, nomadTask, pluginConfigBytes, type SimWorld } from "../../support/sim-world.ts";
import { waitFor } from "../../support/wait.ts";

const CANARY = `canary-${randomUUID()}`;
/** A PATH the plugin config sets; the task inherits it through pot start like the rest of pot's environment. */
const CONFIGURED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/configured-path";

let world: SimWorld;
let plugin: LaunchedPlugin;

beforeAll(async () => {
  world = await createSimWorld();
  plugin = await launchPlugin({
    ...world.env,
    POT_DRIVER_CANARY: CANARY,
    NOMAD_TOKEN: CANARY,
    VAULT_TOKEN: CANARY,
    LANG: "xx_CANARY.UTF-8",
  });
  await unary(plugin.base.setConfig, plugin.base, {
    msgpackConfig: pluginConfigBytes(world, { path: CONFIGURED_PATH }),
    nomadConfig: { driver: { ClientMaxPort: 14512, ClientMinPort: 14000, Topology: undefined } },
    pluginApiVersion: "v0.1.0",
  });
});

afterAll(async () => {
  plugin?.close();
  await world?.cleanup();
});

test("the task's own env shows Nomad's task env and pot's additions, nothing of the plugin's environment", async () => {
  const task = nomadTask(world, "envdump", {
    image: world.imageUrl,
    pot: "FBSD120-nginx",
    tag: "1.0",
    command: "env",
    network_mode: "host",
  });
  await startTask(plugin, task);
  const waited = await waitTask(plugin, task);
  expect(waited.result?.exitCode).toBe(0);
  await waitFor("the env output", () => task.stdout().includes("GREETING="));
  const lines = task
    .stdout()
    .split("\n")
    .filter((line) => line !== "");
  const env = new Map(lines.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));

  // What the task must see: Nomad's task environment (pot set-env) and what pot itself exports.
  expect(env.get("GREETING")).toBe("hello world");
  expect(env.get("NOMAD_TASK_DIR")).toBe("/local");
  expect(env.get("IFCONFIG_FORMAT")).toBe("addr:default");
  // The configured PATH reaches pot start, and the jailed command inherits it (the simulator looks its
  // directories up in the jail root first, standing in for the chroot).
  expect(env.get("PATH")?.endsWith(CONFIGURED_PATH)).toBe(true);

  // What it must not see: anything of the plugin's own environment.
  expect(task.stdout()).not.toContain(CANARY);
  expect(env.has("POT_DRIVER_CANARY")).toBe(false);
  expect(env.has("NOMAD_TOKEN")).toBe(false);
  expect(env.has("LC_ALL")).toBe(false);
  expect(env.has("LANG")).toBe(false);
  expect([...env.keys()].filter((name) => name.startsWith("NOMAD_PLUGIN_") || name.startsWith("PLUGIN_"))).toEqual([]);

  await destroyTask(plugin, task);
});

test("no pot process the plugin started had the plugin's environment", async () => {
  const log = readInvocations(world.simRoot);
  expect(log.length).toBeGreaterThan(3);
  for (const record of log) {
    expect(Object.keys(record.env).filter((name) => name.startsWith("NOMAD_"))).toEqual([]);
    expect(JSON.stringify(record.env)).not.toContain(CANARY);
  }
});
