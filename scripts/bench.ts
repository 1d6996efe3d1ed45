// `npm run bench`: one run of every driver figure (compiled binary + pot simulator), printed as a Markdown table.
//
// Start-up and memory beside the floor of our stack (scripts/bench/floor.ts: Bun + grpc-js serving only the
// health service), measured interleaved in the same run and shown as ratios; then the seed job's wall time and
// every process it costs; then CPU, memory and processes with 100 tasks streaming stats; then the figures of
// the Go driver, derived from its source. docs/benchmark.md says how each row is taken.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { compileShipped, SHIPPED_FLAGS } from "./bench/build.ts";
import { attachExecTracer, type ExecTrace, type ExecTracer, perfAvailable, type TraceOptions } from "./bench/exec-trace.ts";
import { readInvocations, summarizeVerbs } from "./bench/invocations.ts";
import { machineLine } from "./bench/machine.ts";
import { median, mib, ms, percentile } from "./bench/numbers.ts";
import { procStat, pssKiB, vmRssKiB, type ProcStat } from "./bench/procfs.ts";
import { markdownTable, type Row } from "./bench/report.ts";
import { compareStartups, type StartupSample } from "./bench/startup.ts";

const REPO = resolve(import.meta.dir, "..");
/** Launches per program for the start-up figures (after two discarded warm-up launches each). */
const STARTUP_RUNS = 25;
/** Launches per program for the memory figure (each waits SETTLE_MS before its reading). */
const RSS_RUNS = 5;
/** Seed-job StartTask calls timed (image already imported; none of them traced). */
const SEED_TIMED_RUNS = 10;
/** Long-running tasks for the memory, CPU and stats figures. */
const TASKS = 100;
/** StartTask calls in flight at once while the tasks are started. */
const START_CONCURRENCY = 4;
const STATS_INTERVAL_MS = 1000;
/**
 * Seconds after every stream has delivered its first sample before the measuring window opens: the runtime is
 * still compiling the stats path then, a one-off cost measured and shown apart.
 */
const WARMUP_S = 10;
/** Length of the measuring window while the tasks stream stats (steady state). */
const WINDOW_S = 20;
/** Quiet period before a memory reading. */
const SETTLE_MS = 2000;

const began = performance.now();

function progress(message: string): void {
  process.stderr.write(`bench [${((performance.now() - began) / 1000).toFixed(0)} s]: ${message}\n`);
}

function mustStat(pid: number): ProcStat {
  const stat = procStat(pid);
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat;
}

function mustRss(pid: number): number {
  const rss = vmRssKiB(pid);
  if (rss === undefined) throw new Error(`process ${pid} is gone`);
  return rss;
}

/** Runs `work` over `items` with at most `limit` calls pending at once. */
async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

function spread(samples: readonly number[]): string {
  return `median ${ms(median(samples))} · p90 ${ms(percentile(samples, 90))} · min ${ms(Math.min(...samples))}`;
}

function ratio(ours: number, floor: number): string {
  return `${(ours / floor).toFixed(2)}×`;
}

/** "17 processes: pot 14, sh 1, date 1, mv 1; subshells 0" (program base names). */
function describeTrace(trace: ExecTrace, potProgram: string): string {
  const named = new Map<string, number>();
  for (const [program, n] of trace.byProgram) {
    const name = program === potProgram ? "pot" : basename(program);
    named.set(name, (named.get(name) ?? 0) + n);
  }
  const parts = [...named].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}`);
  const inside = trace.hidden > 0 ? ` (and ${trace.hidden} inside pot runs, the simulator's, not counted)` : "";
  return `${trace.processes}: ${parts.join(", ") || "none"}${trace.subshells > 0 ? `, subshells ${trace.subshells}` : ""}${inside}`;
}

/**
 * Traces every process the plugin `pid` and its new descendants start while `body` runs, or says why it could
 * not (perf missing or not allowed to attach).
 */
async function traced(pid: number, dir: string, body: () => Promise<void>, options: TraceOptions = {}): Promise<ExecTrace | string> {
  if (!perfAvailable()) {
    await body();
    return "perf(1) is not installed";
  }
  let tracer: ExecTracer | undefined;
  try {
    tracer = await attachExecTracer(pid, mkdtempSync(join(dir, "trace-")));
    await tracer.enable();
  } catch (err) {
    tracer?.kill();
    await body();
    return err instanceof Error ? err.message : String(err);
  }
  try {
    await body();
    await tracer.disable();
    return await tracer.finish(options);
  } finally {
    tracer.kill();
  }
}

async function run(scratch: string, rows: Row[], cleanups: (() => Promise<void> | void)[]): Promise<void> {
  const socketDir = join(scratch, "sockets");
  mkdirSync(socketDir);

  progress("building the driver and the floor program (scripts/build.sh flags)");
  const given = process.env.POT_DRIVER_BIN;
  const shipped = given ?? compileShipped(REPO, "src/app/main.ts", join(scratch, "pot-task-driver-linux-x64"));
  const floor = compileShipped(REPO, "scripts/bench/floor.ts", join(scratch, "floor"));
  // The test harness reads POT_DRIVER_BIN when it is loaded, so it is loaded only now.
  process.env.POT_DRIVER_BIN = shipped;
  const { pluginEnv } = await import("../test/support/plugin.ts");
  const { waitFor } = await import("../test/support/wait.ts");
  const { BenchWorld } = await import("./bench/world.ts");
  const { pluginConfigBytes } = await import("../test/support/sim-world.ts");
  const built = given === undefined ? `built as scripts/build.sh builds it (\`${SHIPPED_FLAGS.join(" ")}\`)` : `$POT_DRIVER_BIN (${given})`;

  progress("starting the simulator world and the plugin");
  const world = await BenchWorld.open(socketDir);
  cleanups.push(() => world.close());
  const pid = world.pid;

  progress(`start-up: ${STARTUP_RUNS} launches each of the driver and the floor, interleaved`);
  const env = pluginEnv({ ...world.sim.env, PLUGIN_UNIX_SOCKET_DIR: socketDir });
  const programs = {
    driver: { kind: "driver" as const, binary: shipped, configBytes: pluginConfigBytes(world.sim, { log_level: "info" }) },
    floor: { kind: "floor" as const, binary: floor },
  };
  const timing = await compareStartups(programs, env, STARTUP_RUNS);
  const pick = (samples: StartupSample[] | undefined, key: keyof StartupSample): number[] =>
    (samples ?? []).map((s) => s[key]).filter((v): v is number => v !== undefined);
  const oursHandshake = pick(timing.driver, "handshakeMs");
  const floorHandshake = pick(timing.floor, "handshakeMs");
  rows.push({
    metric: "exec → handshake line",
    value: `ours ${spread(oursHandshake)}; floor median ${ms(median(floorHandshake))}; **ratio ${ratio(median(oursHandshake), median(floorHandshake))}** (goal ≤ 1.20×)`,
    how: `${STARTUP_RUNS} launches each (after 2 warm-ups) of the driver ${built} and of the floor program (scripts/bench/floor.ts: Bun + @grpc/grpc-js serving only the health service, same flags), interleaved; wall time from spawn to the first stdout line`,
  });
  const oursConfigured = pick(timing.driver, "configuredMs");
  const floorAnswered = pick(timing.floor, "configuredMs");
  rows.push({
    metric: "exec → SetConfig answered (floor: first Health.Check answered)",
    value: `ours ${spread(oursConfigured)}; floor median ${ms(median(floorAnswered))}; ratio ${ratio(median(oursConfigured), median(floorAnswered))}`,
    how: "same launches: after the handshake line a gRPC client connects and calls PluginInfo, ConfigSchema and SetConfig, as Nomad's plugin loader does; the floor answers one Health.Check, the only call it serves",
  });
  const oursFingerprint = pick(timing.driver, "firstAnswerMs");
  rows.push({
    metric: "exec → first Fingerprint response",
    value: `ours ${spread(oursFingerprint)}; ratio to the floor's first answer ${ratio(median(oursFingerprint), median(floorAnswered))}`,
    how: "same launches, then Driver.Fingerprint until its first message; includes one `pot version` run (the simulator: a shell script that starts Bun, tens of ms of the figure)",
  });

  progress(`memory after SetConfig: ${RSS_RUNS} launches each, ${SETTLE_MS / 1000} s settling`);
  const memory = await compareStartups(programs, env, RSS_RUNS, SETTLE_MS, 0);
  const floorRss = median(pick(memory.floor, "rssKiB"));
  const oursRss = median(pick(memory.driver, "rssKiB"));
  rows.push({
    metric: "RSS after SetConfig",
    value: `ours ${mib(oursRss)}; floor ${mib(floorRss)}; **floor + ${mib(oursRss - floorRss)}** (goal ≤ + 6 MiB)`,
    how: `medians of VmRSS over ${RSS_RUNS} launches each, read ${SETTLE_MS / 1000} s after the last answer (ours: SetConfig and the first Fingerprint; floor: Health.Check)`,
  });

  // Seed jobs: one importing the image, one traced around StartTask, one traced around start → stop → destroy,
  // then the timed ones (tracing is not free, so the timed runs are not traced).
  progress(`seed job: 1 importing the image, 2 traced, ${SEED_TIMED_RUNS} timed`);
  // The path the plugin runs pot by (its pot_path: the world's wrapper of the simulator), so that what pot runs
  // itself is recognised as pot's and left out.
  const potProgram = world.sim.potPath;
  const hidePot: TraceOptions = { opaque: (program) => program === potProgram };
  const invocationsSince = (from: number) => readInvocations(world.sim.simRoot).slice(from);
  const importing = world.seedTask("nginx-pot");
  const importBegan = performance.now();
  await world.start(importing);
  const importWall = performance.now() - importBegan;
  await world.stopAndDestroy(importing);

  const startOnly = world.seedTask("nginx-pot");
  let logged = readInvocations(world.sim.simRoot).length;
  const startTrace = await traced(pid, scratch, () => world.start(startOnly), hidePot);
  const startVerbs = summarizeVerbs(invocationsSince(logged));
  await world.stopAndDestroy(startOnly);

  const whole = world.seedTask("nginx-pot");
  logged = readInvocations(world.sim.simRoot).length;
  const wholeTrace = await traced(
    pid,
    scratch,
    async () => {
      await world.start(whole);
      await world.stopAndDestroy(whole);
    },
    hidePot,
  );
  const wholeVerbs = summarizeVerbs(invocationsSince(logged));

  const seedWalls: number[] = [];
  for (let i = 0; i < SEED_TIMED_RUNS; i++) {
    const task = world.seedTask("nginx-pot");
    const startedAt = performance.now();
    await world.start(task);
    seedWalls.push(performance.now() - startedAt);
    await world.stopAndDestroy(task);
  }
  rows.push({
    metric: "seed job StartTask, wall time",
    value: `${spread(seedWalls)} (the first run, importing the image: ${ms(importWall)})`,
    how: `${SEED_TIMED_RUNS} StartTask calls, one after another, for the seed job's config (public-bridge, port_map, 2 copies, mount, read-only mount; image already imported), each followed by StopTask → WaitTask → DestroyTask; the simulator's pot runs start Bun each, so this says little about real pot`,
  });
  const traceHow = (what: string) =>
    `every process the plugin and its new descendants executed during ${what} of the seed job (perf: sched_process_fork and sched_process_exec), by program; pot's own descendants (the simulator's) are left out; "subshells" are children a shell forked without executing anything`;
  rows.push({
    metric: "seed job StartTask: pot runs · all processes",
    value: `pot runs ${startVerbs} · processes ${typeof startTrace === "string" ? "n/a" : describeTrace(startTrace, potProgram)}`,
    how: `pot runs: lines of the simulator's invocations.log, by subcommand. Processes: ${typeof startTrace === "string" ? `not counted, perf could not run: ${startTrace}` : traceHow("one StartTask")}`,
  });
  rows.push({
    metric: "seed job start → stop → destroy: pot runs · all processes",
    value: `pot runs ${wholeVerbs} · processes ${typeof wholeTrace === "string" ? "n/a" : describeTrace(wholeTrace, potProgram)}`,
    how: `StartTask → StopTask (SIGTERM, 5 s) → WaitTask → DestroyTask; ${typeof wholeTrace === "string" ? `processes not counted, perf could not run: ${wholeTrace}` : traceHow("that sequence")}`,
  });
  rows.push({
    metric: "Go driver: seed job, pot runs · all processes (derived)",
    value: "StartTask: pot runs 11 · processes 24 (pot 11, sh 11, pgrep 1, grep 1); start → stop → destroy: pot runs 12 · processes 25",
    how: "derived from nomad-pot-driver v0.10.0's source, not measured; counting method in docs/benchmark.md",
  });

  progress(`starting ${TASKS} long-running tasks, ${START_CONCURRENCY} at a time`);
  const tasks = Array.from({ length: TASKS }, (_, i) => world.lightTask(`web${i}`, 20000 + i));
  const beforeStarts = mustStat(pid);
  const startsBegan = performance.now();
  await inPool(tasks, START_CONCURRENCY, (task) => world.start(task));
  const startsWallS = (performance.now() - startsBegan) / 1000;
  const afterStarts = mustStat(pid);
  const ownPerStart = ((afterStarts.ownSeconds - beforeStarts.ownSeconds) / TASKS) * 1000;
  const potPerStart = ((afterStarts.reapedChildrenSeconds - beforeStarts.reapedChildrenSeconds) / TASKS) * 1000;
  rows.push({
    metric: "driver CPU per StartTask, beyond pot's own time",
    value: ms(ownPerStart),
    how: `Δ utime+stime of the plugin process itself over ${TASKS} StartTask calls (${START_CONCURRENCY} in flight; nginx, host network, nothing copied or mounted) ÷ ${TASKS}. pot's time is not in it: each pot run is a separate (simulator) process, counted in the plugin's cutime+cstime once reaped (${ms(potPerStart)} per start here, mostly the simulator's Bun start-up); ${TASKS} starts took ${startsWallS.toFixed(1)} s`,
  });

  await Bun.sleep(SETTLE_MS);
  const rssTasks = mustRss(pid);
  rows.push({
    metric: `driver RSS, ${TASKS} running tasks`,
    value: `${mib(rssTasks)}; **floor + ${mib(rssTasks - floorRss)}** (goal ≤ + 15 MiB)`,
    how: `VmRSS of the plugin ${SETTLE_MS / 1000} s after the last StartTask answered, against the floor's median above`,
  });
  const supervisors = world.supervisorPids();
  const supRss = supervisors.map(vmRssKiB).filter((v): v is number => v !== undefined);
  const supPss = supervisors.map(pssKiB).filter((v): v is number => v !== undefined);
  rows.push({
    metric: "per-task supervisor RSS",
    value: `${mib(median(supRss))} (median of ${supRss.length})`,
    how: `VmRSS of each \`/bin/sh …/supervise.sh\` child of the plugin (min ${mib(Math.min(...supRss))}, max ${mib(Math.max(...supRss))}); most of it is /bin/sh's shared pages: median Pss ${mib(median(supPss))}`,
  });
  if (supervisors.length !== TASKS) throw new Error(`expected ${TASKS} supervisors, found ${supervisors.length}`);

  progress(`${TASKS} TaskStats streams at ${STATS_INTERVAL_MS} ms; ${WARMUP_S} s warm-up, then measuring for ${WINDOW_S} s`);
  const streams = world.streamStats(tasks, STATS_INTERVAL_MS);
  await waitFor("a first sample on every stats stream", () => streams.counts.every((n) => n > 0), 30_000);
  const warmupStat = mustStat(pid);
  const warmupBegan = performance.now();
  await Bun.sleep(WARMUP_S * 1000);
  const warmupS = (performance.now() - warmupBegan) / 1000;
  const warmupRate = ((mustStat(pid).ownSeconds - warmupStat.ownSeconds) / warmupS) * 1000;
  const supBefore = new Map(supervisors.map((p) => [p, procStat(p)?.ownSeconds]));
  let windowStat: ProcStat | undefined;
  let windowEnd: ProcStat | undefined;
  let samplesBefore = 0;
  let windowS = 0;
  const execs = await traced(pid, scratch, async () => {
    windowStat = mustStat(pid);
    samplesBefore = streams.total();
    const windowBegan = performance.now();
    await Bun.sleep(WINDOW_S * 1000);
    windowS = (performance.now() - windowBegan) / 1000;
    windowEnd = mustStat(pid);
  });
  if (windowStat === undefined || windowEnd === undefined) throw new Error("the stats window was not measured");
  const samples = streams.total() - samplesBefore;
  let supervisorsS = 0;
  for (const [p, before] of supBefore) {
    const after = procStat(p)?.ownSeconds;
    if (before !== undefined && after !== undefined) supervisorsS += after - before;
  }
  const ownRate = ((windowEnd.ownSeconds - windowStat.ownSeconds) / windowS) * 1000;
  const childRate = ((windowEnd.reapedChildrenSeconds - windowStat.reapedChildrenSeconds) / windowS) * 1000;
  const supRate = (supervisorsS / windowS) * 1000;
  const intervals = Math.round((windowS * 1000) / STATS_INTERVAL_MS);
  // Every completed sampling tick answers all streams at once, so the samples say how many ticks completed.
  const ticks = Math.round(samples / TASKS);
  const tickNote = `the samples delivered amount to ${ticks} sampling ticks in ${intervals} intervals (a tick whose ps run is still going when the next is due skips that one)`;
  rows.push({
    metric: `plugin CPU, ${TASKS} tasks streaming stats at 1 s`,
    value: `**${(ownRate / 10).toFixed(2)} % of one core** (goal ≤ 1 %); with its ps runs ${((ownRate + childRate) / 10).toFixed(2)} %`,
    how: `steady state: over ${windowS.toFixed(1)} s that begin ${WARMUP_S} s after every stream's first sample (in those first ${warmupS.toFixed(1)} s, while the runtime still compiles the stats path, the plugin used ${(warmupRate / 10).toFixed(2)} %): plugin utime+stime ${ownRate.toFixed(1)} ms/s; its reaped children (the ps runs) cutime+cstime ${childRate.toFixed(1)} ms/s; the ${supervisors.length} supervisors' own ${supRate.toFixed(1)} ms/s (not the plugin's); ${samples} samples delivered, ${tickNote}`,
  });
  rows.push({
    metric: "processes spawned per stats interval",
    value:
      typeof execs === "string"
        ? "n/a"
        : `${(execs.processes / intervals).toFixed(1)} (${ticks > 0 ? (execs.processes / ticks).toFixed(1) : "n/a"} per completed tick)`,
    how:
      typeof execs === "string"
        ? `counted with perf(1), which could not run: ${execs}`
        : `perf record of sched_process_fork/exec on the plugin and every process it started during the same ${windowS.toFixed(1)} s (${intervals} intervals) with ${TASKS} streams open: ${describeTrace(execs, potProgram)}; ${tickNote}. Identity re-checks of recovered tasks ride on the same ps run (test/integration/supervisor/client.test.ts)`,
  });
  rows.push({
    metric: `driver RSS, ${TASKS} tasks streaming stats`,
    value: `${mib(mustRss(pid))}; floor + ${mib(mustRss(pid) - floorRss)}`,
    how: `VmRSS of the plugin at the end of the ${WINDOW_S} s window`,
  });
  rows.push({
    metric: `Go driver: processes per stats interval, ${TASKS} tasks (derived)`,
    value: `≥ ${TASKS} (one pot run per task per tick)`,
    how: "derived from nomad-pot-driver v0.10.0's source, not measured: every TaskStats stream runs `pot get-rss -p <pot> -J` on each tick, a shell script that itself starts `rctl` and more (docs/benchmark.md)",
  });
}

async function main(): Promise<number> {
  const loadAtStart = loadavg()[0] ?? 0;
  const scratch = mkdtempSync(join(tmpdir(), "pot-bench-"));
  const rows: Row[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  let failure: unknown;
  try {
    await run(scratch, rows, cleanups);
  } catch (err) {
    failure = err;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        failure ??= err;
      }
    }
    rmSync(scratch, { recursive: true, force: true });
  }
  if (failure !== undefined) {
    process.stderr.write(`bench: failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
    if (rows.length > 0) process.stderr.write(`bench: figures taken before the failure:\n${markdownTable(rows)}\n`);
    return 1;
  }
  process.stdout.write(`${markdownTable(rows)}\n\nMachine: ${machineLine(REPO, loadAtStart)}\n`);
  return 0;
}

// Exit explicitly: closed gRPC channels and the image server may keep the event loop alive for a while.
process.exit(await main());
