// The hostile corpus through the compiled plugin over gRPC (one plugin, pot simulator): every bad config is
// refused with its path, every injection payload is refused or passed literally, no canary ever appears on
// the host, nothing is left behind, and the plugin keeps serving throughout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { existsSync, lstatSync, type Stats, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { Status } from "../../../src/plugin/gen/google/rpc/status.ts";
import { type DriverTaskEvent, TaskConfig } from "../../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { RecoverableError } from "../../../src/plugin/gen/plugins/shared/structs/proto/recoverable_error.ts";
import { isSafePotName, parseTaskId, potNameForTask } from "../../../src/pot/naming.ts";
import { buildPotImage, exportedPotConf } from "../../fakes/pot-image.ts";
import { readInvocations } from "../../fakes/simulator.ts";
import { TASK_CONFIG_KEYS } from "../../support/config-keys.ts";
import { cwdOf, isLiveProcess, processes } from "../../support/host.ts";
import { fuzzSeconds, fuzzSeed, mutate, Prng, randomBytes } from "../../unit/fuzz/fuzz-core.ts";
import { destroyTask, type LaunchedPlugin, REPO_ROOT, startTask, stopTask, unary, waitTask } from "../../support/plugin.ts";
import { bundles, createSimWorld, launchConfiguredPlugin, type SimWorld, simPots } from "../../support/sim-world.ts";
import {
  bareCanary,
  caseBytes,
  type ConfigCase,
  encodeCty,
  type Encodable,
  expectedOutcome,
  loadConfigCorpus,
  loadInjectionCorpus,
  type Outcome,
  type PayloadEntry,
  PLACEMENTS,
  type Placement,
  payloadText,
  revive,
} from "./corpus.ts";

const IMAGE = "hostile-echo";
const IMAGE_TAG = "1.0";
/** Task runs in flight at once; pot prepare serialises on its global lock anyway. */
const CONCURRENCY = 6;

const configs = loadConfigCorpus();
const injections = loadInjectionCorpus();
const runTag = crypto.randomUUID().slice(0, 8);
const began = Date.now();

let world: SimWorld;
let plugin: LaunchedPlugin;
let canaryDir: string;
const events: DriverTaskEvent[] = [];
/** Errors of the TaskEvents stream: one would mean the plugin or the connection dropped it. */
const eventStreamErrors: string[] = [];
let eventStream: grpc.ClientReadableStream<DriverTaskEvent> | undefined;

const figures = {
  configCases: configs.cases.length,
  configRejected: 0,
  configAccepted: 0,
  payloads: injections.payloads.length,
  placements: PLACEMENTS.length,
  outcomes: { reject: 0, literal: 0, sanitized: 0, skipped: 0, "jail-shell": 0 } as Record<Outcome["outcome"], number>,
  jailCanaries: 0,
  taskRuns: 0,
  grpcFuzz: { calls: 0, refused: 0, started: 0, seed: 0, seconds: 0 },
  hostCanaries: 0,
};

// ---------------------------------------------------------------------------------------------------------
// The world: the simulator, a test image whose program reports its argv and environment, one plugin

/** Writes its arguments (NUL-separated) and environment (env -0) into the shared alloc dir, then exits 0. */
const ECHOARGS = `#!/bin/sh
out="$POT_SIM_JAIL_ROOT/alloc"
: > "$out/argv"
for a in "$@"; do printf '%s\\0' "$a" >> "$out/argv"; done
env -0 > "$out/env"
echo "echoargs: $# arguments"
`;

beforeAll(async () => {
  world = await createSimWorld();
  await buildPotImage(join(world.root, "images"), {
    name: IMAGE,
    tag: IMAGE_TAG,
    files: { "/usr/local/bin/echoargs": { content: ECHOARGS, mode: 0o755 } },
    potConf: exportedPotConf({ "pot.cmd": "/usr/local/bin/echoargs from-image" }),
  });
  mkdirSync(join(world.hostDir, "with space"));
  symlinkSync("/etc", join(world.hostDir, "link-to-etc"));
  canaryDir = mkdtempSync(join(tmpdir(), "hostile-canary-"));
  expect(canariesOnHost()).toEqual([]);
  plugin = await launchConfiguredPlugin(world);
  eventStream = plugin.driver.taskEvents({});
  eventStream.on("data", (e: DriverTaskEvent) => events.push(e));
  eventStream.on("error", (e: Error) => {
    if (!plugin.proc.killed) eventStreamErrors.push(e.message);
  });
}, 120_000);

afterAll(async () => {
  console.log(summary());
  eventStream?.cancel();
  plugin?.close();
  if (world) {
    for (const pid of leftoverProcesses()) process.kill(pid, "SIGKILL");
    for (const reader of world.readers) reader.kill("SIGKILL");
    await world.server.stop();
    rmSync(world.root, { recursive: true, force: true });
  }
  if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
});

function vars(): Record<string, string> {
  return { HOST: world.hostDir, IMAGE: world.imageUrl };
}

// ---------------------------------------------------------------------------------------------------------
// Tasks as Nomad hands them over

interface HostileTask {
  config: TaskConfig;
  allocDir: string;
  /** Host side of the jail's /alloc, where the test program writes its reports. */
  sharedDir: string;
}

/** A Nomad TaskConfig; the task's own dirs are created only when the name can be one directory. */
function hostileTask(taskName: string, driverConfig: Uint8Array, env: Record<string, string> = {}): HostileTask {
  const allocId = crypto.randomUUID();
  const invocation = crypto.randomUUID().slice(0, 8);
  const allocDir = join(world.root, "allocs", allocId);
  const sharedDir = join(allocDir, "alloc");
  mkdirSync(join(sharedDir, "logs"), { recursive: true });
  if (taskName !== "" && taskName !== "." && taskName !== ".." && !/[/\u0000]/.test(taskName)) {
    try {
      for (const d of ["local", "secrets"]) mkdirSync(`${allocDir}/${taskName}/${d}`, { recursive: true });
    } catch {
      // A name no file system takes (too long): Nomad could not have made these either.
    }
  }
  const config = TaskConfig.fromPartial({
    id: `${allocId}/${taskName}/${invocation}`,
    name: taskName,
    allocId,
    jobName: "hostile",
    taskGroupName: "group",
    namespace: "default",
    allocDir,
    stdoutPath: join(sharedDir, "logs", "task.stdout"),
    stderrPath: join(sharedDir, "logs", "task.stderr"),
    env: {
      NOMAD_TASK_DIR: "/local",
      NOMAD_ALLOC_DIR: "/alloc",
      NOMAD_SECRETS_DIR: "/secrets",
      NOMAD_ALLOC_ID: allocId,
      NOMAD_HOST_PORT_http: "28080",
      ...env,
    },
    resources: {
      allocatedResources: { cpu: { cpuShares: 100n }, memory: { memoryMb: 64n, memoryMaxMb: 0n }, networks: [] },
      linuxResources: { PercentTicks: 0.05, memoryLimitBytes: 64n * 1024n * 1024n, cpuShares: 100n },
      ports: [
        { label: "http", value: 28080, to: 0, hostIp: "127.0.0.1" },
        { label: "web", value: 28081, to: 0, hostIp: "127.0.0.1" },
      ],
    },
    msgpackDriverConfig: Buffer.from(driverConfig),
  });
  return { config, allocDir, sharedDir };
}

function baseConfig(): Record<string, Encodable> {
  return revive(configs.base, vars()) as Record<string, Encodable>;
}

// ---------------------------------------------------------------------------------------------------------
// RPC helpers and the checks after every case

let stderrChecked = 0;

/** The plugin process runs, answers PluginInfo, and has logged nothing but hclog JSON and no unexpected error. */
async function expectPluginHealthy(label: string): Promise<void> {
  expect(plugin.proc.exitCode, `${label}: plugin exited`).toBeNull();
  const info = await unary(plugin.base.pluginInfo, plugin.base, {}, 10_000);
  expect(info.name, label).toBe("pot");
  const lines = plugin.stderrLines();
  for (const line of lines.slice(stderrChecked)) {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    expect(parsed, `${label}: stderr line is not hclog JSON: ${line.slice(0, 300)}`).toBeDefined();
    expect(typeof parsed?.["@message"], label).toBe("string");
    expect(line, `${label}: unexpected error logged`).not.toMatch(/unexpected error in rpc|uncaught|unhandled/i);
  }
  stderrChecked = lines.length;
}

function prepareCalls(): number {
  return readInvocations(world.simRoot).filter((i) => i.argv[0] === "prepare").length;
}

interface Refusal {
  paths: string[];
  message: string;
  recoverable?: boolean;
  /** Whether pot may have been run at all (it must still create nothing). */
  potMayRun?: boolean;
}

/** StartTask must fail with every path and the message, create no pot and no bundle, and leave the plugin well. */
async function expectRefused(task: HostileTask, refusal: Refusal, label: string): Promise<string> {
  const potsBefore = simPots(world).sort();
  const bundlesBefore = bundles(world).sort();
  const preparesBefore = prepareCalls();
  const outcome = await startTask(plugin, task).then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  if (outcome === undefined) {
    await waitTask(plugin, task).catch(() => undefined);
    await destroyTask(plugin, task).catch(() => undefined);
    throw new Error(`${label}: StartTask succeeded but should have been refused (${refusal.message})`);
  }
  const err = outcome;
  expect(err.code, label).toBe(grpc.status.FAILED_PRECONDITION);
  for (const path of refusal.paths) expect(err.details, label).toContain(path);
  expect(err.details, label).toContain(refusal.message);
  const detail = err.metadata.get("grpc-status-details-bin")[0];
  expect(detail, `${label}: no RecoverableError detail`).toBeDefined();
  const status = Status.decode(Buffer.from(detail as Buffer));
  const recoverable = RecoverableError.decode(status.details[0]?.value ?? new Uint8Array()).recoverable;
  expect(recoverable, `${label}: recoverable`).toBe(refusal.recoverable ?? false);
  expect(simPots(world).sort(), `${label}: a pot was created`).toEqual(potsBefore);
  expect(bundles(world).sort(), `${label}: a bundle was created`).toEqual(bundlesBefore);
  if (!refusal.potMayRun) expect(prepareCalls(), `${label}: pot prepare ran`).toBe(preparesBefore);
  await expectPluginHealthy(label);
  return err.details;
}

interface RunReport {
  potName: string;
  exitCode: number;
  argv: string[] | undefined;
  env: Map<string, string> | undefined;
  potConf: string[];
  jailFiles: (name: string) => boolean;
}

/**
 * Starts a task that must be accepted, waits for its exit, lets `inspect` look at the pot and the reports
 * while the pot still exists, then destroys it and checks nothing of it is left. Returns the problems found.
 */
async function runAccepted(task: HostileTask, label: string, inspect: (r: RunReport) => Promise<string[]> | string[]): Promise<string[]> {
  figures.taskRuns++;
  const problems: string[] = [];
  let started: Awaited<ReturnType<typeof startTask>>;
  try {
    started = await startTask(plugin, task);
  } catch (e) {
    return [`${label}: StartTask failed: ${(e as grpc.ServiceError).details ?? String(e)}`];
  }
  const state = JSON.parse(Buffer.from(started.handle?.driverState ?? []).toString()) as {
    potName: string;
    bundleDir: string;
    supervisorPid: number;
  };
  try {
    const waited = await waitTask(plugin, task);
    const potDir = join(world.simRoot, "jails", state.potName);
    const report: RunReport = {
      potName: state.potName,
      exitCode: waited.result?.exitCode ?? -1,
      argv: readNulList(join(task.sharedDir, "argv")),
      env: readEnv(join(task.sharedDir, "env")),
      potConf: existsSync(join(potDir, "conf", "pot.conf")) ? readFileSync(join(potDir, "conf", "pot.conf"), "utf8").split("\n") : [],
      jailFiles: (name) => existsSync(join(potDir, "m", name)),
    };
    problems.push(...(await inspect(report)).map((p) => `${label}: ${p}`));
  } finally {
    await destroyTask(plugin, task).catch((e: grpc.ServiceError) => problems.push(`${label}: DestroyTask failed: ${e.details}`));
  }
  if (simPots(world).includes(state.potName)) problems.push(`${label}: pot ${state.potName} survived DestroyTask`);
  if (existsSync(state.bundleDir)) problems.push(`${label}: bundle ${state.bundleDir} survived DestroyTask`);
  if (isLiveProcess(state.supervisorPid)) problems.push(`${label}: supervisor ${state.supervisorPid} still running`);
  return problems;
}

function readNulList(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  const parts = readFileSync(path, "utf8").split("\0");
  parts.pop();
  return parts;
}

function readEnv(path: string): Map<string, string> | undefined {
  const entries = readNulList(path);
  if (!entries) return undefined;
  const env = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

// ---------------------------------------------------------------------------------------------------------
// Canaries and leftovers

function canaryName(entry: PayloadEntry, placement: Placement): string {
  return `pwned-${runTag}-${entry.id}-${placement}`;
}

function canaryFor(entry: PayloadEntry, placement: Placement): string {
  return bareCanary(placement) ? canaryName(entry, placement) : join(canaryDir, canaryName(entry, placement));
}

/**
 * Every canary file of this run outside a jail: the canary dir and the world (recursively), and each place a
 * bare file name could land on the host — the current directory of the test, of the plugin and of every pot
 * invocation, `/` (the supervisor's), the temp dir and the home dir.
 */
function canariesOnHost(): string[] {
  const found: string[] = [];
  const prefix = `pwned-${runTag}`;
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      let stat: Stats;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      if (name.startsWith(prefix) && !stat.isDirectory()) found.push(path);
      else if (stat.isDirectory() && depth > 0) walk(path, depth - 1);
    }
  };
  if (canaryDir) walk(canaryDir, 8);
  if (world) walk(world.root, 32);
  const shallow = new Set(["/", process.cwd(), REPO_ROOT, tmpdir(), homedir()]);
  if (world) for (const invocation of readInvocations(world.simRoot)) shallow.add(invocation.cwd);
  for (const dir of shallow) walk(dir, 0);
  return [...new Set(found)];
}

/** Processes (other than the plugin) whose command line or working directory lies in this test's world. */
function leftoverProcesses(): number[] {
  const out: number[] = [];
  for (const { pid, args } of processes()) {
    if (pid === process.pid || pid === plugin?.proc.pid) continue;
    const cwd = cwdOf(pid) ?? "";
    if (args.includes(world.root) || cwd.startsWith(world.root) || args.includes(runTag)) {
      if (isLiveProcess(pid)) out.push(pid);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Bad configs

const refusedConfigs = configs.cases.filter((c) => !("accepted" in c.expect));
const acceptedConfigs = configs.cases.filter((c) => "accepted" in c.expect);

describe("bad task configs", () => {
  test("the corpus is big enough and well formed", () => {
    expect(configs.cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(configs.cases.map((c) => c.id)).size).toBe(configs.cases.length);
    // The base config as Nomad sends it: every key the schema declares present.
    expect(Object.keys(configs.base).sort()).toEqual([...TASK_CONFIG_KEYS].sort());
    // Each attribute is the subject of some case.
    const subjects = new Set(configs.cases.flatMap((c) => Object.keys(c.set ?? {})));
    expect(TASK_CONFIG_KEYS.filter((key) => !subjects.has(key))).toEqual([]);
  });

  test.each(refusedConfigs.map((c) => [c.id, c] as const))("%s is refused", async (id, c: ConfigCase) => {
    if ("accepted" in c.expect) return;
    const task = hostileTask(`cfg-${id}`.slice(0, 60), caseBytes(configs, c, vars()));
    await expectRefused(task, { ...c.expect, potMayRun: c.expect.stage === "pot" }, id);
    figures.configRejected++;
  });
});

// ---------------------------------------------------------------------------------------------------------
// Injection payloads

/** Puts one payload into one placement of an otherwise valid task. */
function placeInto(
  task: { name: string; config: Record<string, Encodable>; env: Record<string, string> },
  placement: Placement,
  text: string,
): void {
  switch (placement) {
    case "task_name":
      task.name = text;
      return;
    case "command":
      task.config.command = text;
      task.config.args = null;
      return;
    case "args":
      task.config.args = [text];
      return;
    case "env_key":
      task.env[text] = "x";
      return;
    case "env_value":
      task.env.HOSTILE_VALUE = text;
      return;
    case "extra_hosts_name":
      task.config.extra_hosts = [`${text}:10.0.0.1`];
      return;
    case "extra_hosts_ip":
      task.config.extra_hosts = [`db:${text}`];
      return;
    case "attribute_name":
      task.config.attributes = [`${text}:yes`];
      return;
    case "attribute_value":
      task.config.attributes = [`devfs_ruleset:${text}`];
      return;
    case "exec_stop":
      task.config.attributes = [`exec_stop:${text}`];
      return;
  }
}

function buildTask(entry: PayloadEntry, placements: readonly Placement[], fallbackName: string): HostileTask {
  const spec = { name: fallbackName, config: baseConfig(), env: {} as Record<string, string> };
  for (const placement of placements) placeInto(spec, placement, payloadText(entry, canaryFor(entry, placement)));
  return hostileTask(spec.name, encodeCty(spec.config), spec.env);
}

const injectionCases = injections.payloads.flatMap((entry) =>
  PLACEMENTS.map((placement) => ({ entry, placement, outcome: expectedOutcome(injections, entry, placement) })),
);
const refusedInjections = injectionCases.filter((c) => c.outcome.outcome === "reject");

describe("injection payloads that must be refused", () => {
  test("the corpus is big enough and well formed", () => {
    expect(injections.payloads.length).toBeGreaterThanOrEqual(25);
    expect(new Set(injections.payloads.map((p) => p.id)).size).toBe(injections.payloads.length);
    for (const placement of PLACEMENTS) expect(injections.defaults[placement]).toBeDefined();
  });

  test.each(refusedInjections.map((c) => [c.entry.id, c.placement, c] as const))("%s in %s", async (_id, placement, c) => {
    if (c.outcome.outcome !== "reject") return;
    const task = buildTask(c.entry, [placement], `inj-${c.entry.id}`);
    await expectRefused(task, { paths: [c.outcome.path], message: c.outcome.message }, `${c.entry.id} in ${placement}`);
    expect(existsSync(canaryFor(c.entry, placement))).toBe(false);
    figures.outcomes.reject++;
  });
});

// ---------------------------------------------------------------------------------------------------------
// Accepted input

/** Placements one task run can check together (everything but `command`, which replaces the test program). */
const DATA_PLACEMENTS: Placement[] = ["task_name", "args", "env_key", "env_value", "exec_stop"];

describe("accepted input", () => {
  test("legal-but-odd configs start, run and leave nothing behind", async () => {
    const problems: string[] = [];
    await inPool(acceptedConfigs, CONCURRENCY, async (c) => {
      const task = hostileTask(`ok-${c.id}`.slice(0, 60), caseBytes(configs, c, vars()));
      const value = c.set?.args !== undefined ? (revive(c.set.args, vars()) as string[]) : ["base"];
      problems.push(
        ...(await runAccepted(task, c.id, (r) => {
          const found: string[] = [];
          if (r.exitCode !== 0) found.push(`exit code ${r.exitCode}`);
          if (JSON.stringify(r.argv) !== JSON.stringify(value))
            found.push(`argv ${JSON.stringify(r.argv)?.slice(0, 200)} is not the configured args`);
          return found;
        })),
      );
      figures.configAccepted++;
    });
    expect(problems).toEqual([]);
    await expectPluginHealthy("accepted configs");
  }, 300_000);

  test("payloads given as data reach the jailed program literally and run nowhere", async () => {
    const problems: string[] = [];
    await inPool(injections.payloads, CONCURRENCY, async (entry) => {
      const placements = DATA_PLACEMENTS.filter((p) => expectedOutcome(injections, entry, p).outcome !== "reject");
      if (placements.length === 0) return;
      const task = buildTask(entry, placements, `data-${entry.id}`);
      const text = (p: Placement) => payloadText(entry, canaryFor(entry, p));
      problems.push(
        ...(await runAccepted(task, `${entry.id} in ${placements.join("+")}`, (r) => {
          const found: string[] = [];
          if (r.exitCode !== 0) found.push(`exit code ${r.exitCode}`);
          if (r.argv === undefined || r.env === undefined) return [...found, "the program wrote no report"];
          for (const placement of placements) {
            const outcome = expectedOutcome(injections, entry, placement).outcome;
            const want = text(placement);
            if (placement === "args" && outcome === "literal" && JSON.stringify(r.argv) !== JSON.stringify([want])) {
              found.push(`args: program saw ${JSON.stringify(r.argv).slice(0, 200)}`);
            }
            if (placement === "env_value" && outcome === "literal" && r.env.get("HOSTILE_VALUE") !== want) {
              found.push(`env_value: program saw ${JSON.stringify(r.env.get("HOSTILE_VALUE"))?.slice(0, 200)}`);
            }
            if (placement === "env_key" && outcome === "literal" && r.env.get(want) !== "x") {
              found.push("env_key: the variable did not reach the jail under that name");
            }
            if (placement === "env_key" && outcome === "skipped") {
              if (r.env.has(want)) found.push("env_key: the variable reached the jail");
              const said = events.some((e) => e.taskId === task.config.id && e.message.includes("not passed to the jail"));
              if (!said) found.push("env_key: no event says the variable was not passed");
            }
            if (placement === "exec_stop" && outcome === "literal" && !r.potConf.includes(`pot.attr.exec_stop=${want}`)) {
              found.push(
                `exec_stop: pot.conf has ${JSON.stringify(r.potConf.find((l) => l.startsWith("pot.attr.exec_stop")))?.slice(0, 200)}`,
              );
            }
            if (placement === "task_name" && outcome === "sanitized") {
              const parts = parseTaskId(task.config.id);
              if (!parts || r.potName !== potNameForTask(parts).potName || !isSafePotName(r.potName)) {
                found.push(`task_name: pot name ${JSON.stringify(r.potName)} is not the sanitised name`);
              }
            }
            if (existsSync(canaryFor(entry, placement)) || r.jailFiles(canaryName(entry, placement))) {
              found.push(`${placement}: the payload ran (canary exists)`);
            }
          }
          return found;
        })),
      );
      for (const placement of placements) figures.outcomes[expectedOutcome(injections, entry, placement).outcome]++;
    });
    expect(problems).toEqual([]);
    await expectPluginHealthy("data placements");
  }, 300_000);

  test("payloads given as the command run only in the jail's shell, as documented", async () => {
    const problems: string[] = [];
    const commandCases = injections.payloads.filter((e) => expectedOutcome(injections, e, "command").outcome === "jail-shell");
    await inPool(commandCases, CONCURRENCY, async (entry) => {
      const outcome = expectedOutcome(injections, entry, "command");
      const inJail = outcome.outcome === "jail-shell" && outcome.inJail === true;
      const task = buildTask(entry, ["command"], `cmd-${entry.id}`);
      const canary = canaryName(entry, "command");
      problems.push(
        ...(await runAccepted(task, `${entry.id} as command`, async (r) => {
          const found: string[] = [];
          // A background job may touch its file just after the shell itself exited.
          const deadline = Date.now() + (inJail ? 5_000 : 0);
          while (inJail && !r.jailFiles(canary) && Date.now() < deadline) await Bun.sleep(20);
          if (r.jailFiles(canary) !== inJail) found.push(inJail ? "the jail's shell did not run it" : "it ran in the jail unexpectedly");
          if (r.jailFiles(canary)) figures.jailCanaries++;
          return found;
        })),
      );
      figures.outcomes["jail-shell"]++;
    });
    expect(problems).toEqual([]);
    await expectPluginHealthy("command placements");
  }, 300_000);
});

// ---------------------------------------------------------------------------------------------------------
// Random StartTask input through the plugin

describe("fuzzing StartTask over gRPC", () => {
  test("mutated and random configs are refused clearly or run, and the plugin keeps serving", async () => {
    const seed = fuzzSeed();
    const seconds = fuzzSeconds(3);
    const rng = new Prng(seed);
    console.log(`gRPC StartTask fuzz: seed ${seed} (FUZZ_SEED=${seed} replays), ${seconds} s`);
    const seeds = configs.cases
      .filter((c) => c.expect && !("stage" in c.expect && c.expect.stage === "pot"))
      .map((c) => caseBytes(configs, c, vars()));
    const deadline = Date.now() + seconds * 1000;
    let n = 0;
    while (Date.now() < deadline) {
      n++;
      const bytes = rng.chance(0.15) ? randomBytes(rng) : mutate(rng, rng.pick(seeds), seeds).bytes;
      const task = hostileTask(`fuzz-${n}`, bytes);
      const label = `fuzz #${n} (seed ${seed}) ${Buffer.from(bytes).toString("hex").slice(0, 400)}`;
      const outcome = await startTask(plugin, task).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      );
      if (outcome === undefined) {
        figures.grpcFuzz.started++;
        await waitTask(plugin, task, 20_000).catch(async () => {
          await stopTask(plugin, task, "", 1);
        });
        await destroyTask(plugin, task);
      } else {
        figures.grpcFuzz.refused++;
        expect(outcome.code, label).toBe(grpc.status.FAILED_PRECONDITION);
        expect(outcome.details.length, label).toBeGreaterThan(0);
      }
      if (n % 25 === 0) await expectPluginHealthy(label);
    }
    figures.grpcFuzz = { ...figures.grpcFuzz, calls: n, seed, seconds };
    await expectPluginHealthy("after the gRPC fuzz");
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------
// Afterwards

describe("afterwards", () => {
  test("no canary exists anywhere on the host", () => {
    const found = canariesOnHost();
    figures.hostCanaries = found.length;
    expect(found).toEqual([]);
  });

  test("no task pot, bundle or process is left, and the plugin still serves", async () => {
    // Only the imported image itself may remain.
    expect(simPots(world).filter((p) => p !== `${IMAGE}_${IMAGE_TAG.replaceAll(".", "_")}`)).toEqual([]);
    expect(bundles(world)).toEqual([]);
    const deadline = Date.now() + 10_000;
    while (leftoverProcesses().length > 0 && Date.now() < deadline) await Bun.sleep(50);
    expect(leftoverProcesses()).toEqual([]);
    expect(eventStreamErrors).toEqual([]);
    await expectPluginHealthy("at the end");
  });
});

function summary(): string {
  const o = figures.outcomes;
  const cases = figures.payloads * figures.placements;
  return [
    `hostile corpus figures (${((Date.now() - began) / 1000).toFixed(1)} s):`,
    `  configs: ${figures.configCases} (${figures.configRejected} refused with their path, ${figures.configAccepted} legal-but-odd accepted and run)`,
    `  injections: ${figures.payloads} payloads × ${figures.placements} placements = ${cases} cases: ` +
      `${o.reject} refused, ${o.literal} passed literally, ${o.sanitized} sanitised task names, ${o.skipped} skipped env names, ` +
      `${o["jail-shell"]} run by the jail's shell (${figures.jailCanaries} left their canary inside the jail)`,
    `  task runs through pot start: ${figures.taskRuns}; canaries on the host: ${figures.hostCanaries}`,
    `  gRPC StartTask fuzz: ${figures.grpcFuzz.calls} calls in ${figures.grpcFuzz.seconds} s (${figures.grpcFuzz.refused} refused, ` +
      `${figures.grpcFuzz.started} started and destroyed), seed ${figures.grpcFuzz.seed}`,
  ].join("\n");
}
