// Fuzzes validateTaskConfig, validatePluginConfig and planStart with random values and with valid configs that
// have one attribute replaced, for a bounded time. Seed printed; FUZZ_SEED replays, FUZZ_SECONDS lengthens.
import { expect, test } from "bun:test";
import { validatePluginConfig } from "../../../src/driver/plugin-config.ts";
import { planStart } from "../../../src/driver/start-plan.ts";
import { validateTaskConfig } from "../../../src/driver/task-config.ts";
import type { TaskSpec } from "../../../src/driver/task-spec.ts";
import { taskSpec } from "../../support/task-spec.ts";
import { PLUGIN_CONFIG_KEYS, TASK_CONFIG_KEYS } from "../../support/config-keys.ts";
import { fuzzSeconds, fuzzSeed, Prng, randomValue, validationResultProblem, withCpuTime } from "./fuzz-core.ts";

/** CPU per call; honest calls take well under a millisecond, the margin is for GC pauses. */
const CALL_DEADLINE_MS = 1000;
let mostCpuMs = 0;

const VALID_TASK: Record<string, unknown> = {
  args: ["-g", "daemon off;"],
  attributes: ["devfs_ruleset:4", "exec_stop:/bin/true"],
  command: "nginx",
  copy: ["/tmp/a:/etc/a"],
  extra_hosts: ["db:10.0.0.5", "v6:::1"],
  image: "http://127.0.0.1:8080/images/",
  mount: ["/tmp/data:/data"],
  mount_read_only: ["/tmp/ro:/ro"],
  network_mode: "public-bridge",
  pot: "nginx",
  port_map: [{ http: "80" }],
  tag: "1.0",
};

/** A valid config of each network mode that takes an option of its own, so alias_ip and bridge are fuzzed where legal. */
const VALID_TASKS: readonly Record<string, unknown>[] = [
  VALID_TASK,
  { ...VALID_TASK, network_mode: "alias", alias_ip: "em0|192.0.2.10" },
  { ...VALID_TASK, network_mode: "private-bridge", bridge: "potbridge" },
];

const VALID_PLUGIN: Record<string, unknown> = {
  allowed_host_paths: ["/tmp"],
  enabled: true,
  fingerprint_period: "30s",
  log_level: "debug",
  pot_path: "/usr/local/bin/pot",
  state_dir: "/var/db/pot-task-driver",
};

function randomTaskSpec(rng: Prng): TaskSpec {
  const name = rng.pick(["web", "a.b", "x y", "..", "", "$(id)", "t\u0000", "ok_1"]);
  const env: Record<string, string> = { NOMAD_TASK_DIR: "/local", NOMAD_HOST_PORT_http: "23456" };
  if (rng.chance(0.5)) env[rng.pick(["A-B", "1X", "OK", "", "$(id)"])] = rng.pick(["x", "a\nb", "$(id)", "\u0000"]);
  return taskSpec({ taskName: name, env, stdoutPath: "/dev/null", stderrPath: "/dev/null" });
}

function timed<T>(what: string, where: () => string, call: () => T): T {
  let out: { value: T; cpuMs: number };
  try {
    out = withCpuTime(call);
  } catch (err) {
    throw new Error(`${what} threw ${String(err)} at ${where()}`);
  }
  mostCpuMs = Math.max(mostCpuMs, out.cpuMs);
  if (out.cpuMs > CALL_DEADLINE_MS) throw new Error(`${what} used ${out.cpuMs.toFixed(1)} ms of CPU at ${where()}`);
  return out.value;
}

/** A random value, or a valid config with one attribute replaced (sometimes removed, sometimes an extra one). */
function candidate(rng: Prng, valid: Record<string, unknown>, keys: readonly string[]): unknown {
  if (rng.chance(0.25)) return randomValue(rng, 4);
  const out: Record<string, unknown> = { ...valid };
  const rounds = 1 + rng.int(2);
  for (let i = 0; i < rounds; i++) {
    const roll = rng.int(10);
    if (roll === 0) delete out[rng.pick(keys)];
    else if (roll === 1) out[`extra_${rng.int(5)}`] = randomValue(rng, 2);
    else out[rng.pick(keys)] = randomValue(rng, 3);
  }
  return out;
}

test("config validation answers ok or issues with paths for any value, fast, and the plan never throws", () => {
  const seed = fuzzSeed();
  const seconds = fuzzSeconds(4);
  const rng = new Prng(seed);
  const counts = {
    iterations: 0,
    taskOk: 0,
    aliasOk: 0,
    bridgeOk: 0,
    taskIssues: 0,
    pluginOk: 0,
    pluginIssues: 0,
    plans: 0,
    planIssues: 0,
  };
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    counts.iterations++;
    const task = candidate(rng, rng.pick(VALID_TASKS), TASK_CONFIG_KEYS);
    const pluginValue = candidate(rng, VALID_PLUGIN, PLUGIN_CONFIG_KEYS);
    const where = (value: unknown) => () =>
      `seed ${seed}, iteration ${counts.iterations}, value ${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))?.slice(0, 600)}`;

    const taskResult = timed("validateTaskConfig", where(task), () => validateTaskConfig(task));
    const taskBad = validationResultProblem(taskResult);
    if (taskBad) throw new Error(`validateTaskConfig: ${taskBad} at ${where(task)()}`);
    if (taskResult.ok) {
      counts.taskOk++;
      if (taskResult.config.aliasIp !== undefined) counts.aliasOk++;
      if (taskResult.config.bridge !== undefined) counts.bridgeOk++;
      const spec = randomTaskSpec(rng);
      const plan = timed("planStart", where({ task, name: spec.taskName, env: spec.env }), () =>
        planStart(taskResult.config, spec, { hostCpus: 4 }),
      );
      const planBad = validationResultProblem(plan.ok ? { ok: true, config: plan.plan } : plan);
      if (planBad) throw new Error(`planStart: ${planBad} at ${where(task)()}`);
      counts.plans++;
      if (!plan.ok) counts.planIssues++;
    } else counts.taskIssues++;

    const pluginResult = timed("validatePluginConfig", where(pluginValue), () => validatePluginConfig(pluginValue));
    const pluginBad = validationResultProblem(pluginResult);
    if (pluginBad) throw new Error(`validatePluginConfig: ${pluginBad} at ${where(pluginValue)()}`);
    if (pluginResult.ok) counts.pluginOk++;
    else counts.pluginIssues++;
  }
  console.log(
    `config fuzz: seed ${seed}, ${seconds} s, ${counts.iterations} iterations: task configs ${counts.taskOk} ok (${counts.aliasOk} alias, ${counts.bridgeOk} private-bridge) / ${counts.taskIssues} with issues, ` +
      `plans ${counts.plans} (${counts.planIssues} with issues), plugin configs ${counts.pluginOk} ok / ${counts.pluginIssues} with issues; most CPU for one call ${mostCpuMs.toFixed(2)} ms`,
  );
  expect(counts.iterations).toBeGreaterThan(100);
  expect(counts.taskOk).toBeGreaterThan(0);
  expect(counts.aliasOk).toBeGreaterThan(0);
  expect(counts.bridgeOk).toBeGreaterThan(0);
  expect(counts.taskIssues).toBeGreaterThan(0);
  expect(counts.pluginOk).toBeGreaterThan(0);
  expect(counts.pluginIssues).toBeGreaterThan(0);
}, 120_000);
