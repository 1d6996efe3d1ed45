// `bun run bench`: one run of every driver figure (compiled binary + pot simulator), printed as a Markdown table.
//
// Start-up, memory, CPU, processes per stats interval and pot runs per seed job, each with how it was taken, then
// the machine they were taken on.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { compileDriver, SHIPPED_FLAGS } from "./bench/build.ts";
import { attachExecTracer, type ExecTrace, type ExecTracer, perfAvailable } from "./bench/exec-trace.ts";
import { compareHandshakes } from "./bench/handshake.ts";
import { readInvocations, summarizeVerbs } from "./bench/invocations.ts";
import { machineLine } from "./bench/machine.ts";
import { median, mib, ms, percentile } from "./bench/numbers.ts";
import { procStat, pssKiB, vmRssKiB, type ProcStat } from "./bench/procfs.ts";
import { markdownTable, type Row } from "./bench/report.ts";

const REPO = resolve(import.meta.dir, "..");
/** Launches per binary for the start-up figure (after two discarded warm-up launches each). */
const HANDSHAKE_RUNS = 25;
/** Long-running tasks for the memory, CPU and stats figures. */
const TASKS = 100;
/** StartTask calls in flight at once while the tasks are started. */
const START_CONCURRENCY = 4;
const STATS_INTERVAL_MS = 1000;
/** Length of the measuring window while the tasks stream stats. */
const WINDOW_S = 10;
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

async function run(scratch: string, rows: Row[], cleanups: (() => Promise<void> | void)[]): Promise<void> {
  const socketDir = join(scratch, "sockets");
  mkdirSync(socketDir);

  progress("building the driver (shipped flags, and plain --compile)");
  const given = process.env.POT_DRIVER_BIN;
  const shipped = given ?? compileDriver(REPO, join(scratch, "pot-task-driver-linux-x64"), SHIPPED_FLAGS);
  const plain = compileDriver(REPO, join(scratch, "pot-task-driver-plain"), []);
  // The test harness reads POT_DRIVER_BIN when it is loaded, so it is loaded only now.
  process.env.POT_DRIVER_BIN = shipped;
  const { pluginEnv, waitFor } = await import("../test/integration/harness.ts");
  const { BenchWorld } = await import("./bench/world.ts");

  progress(`exec → handshake, ${HANDSHAKE_RUNS} launches of each binary`);
  const launches = await compareHandshakes({ shipped, plain }, pluginEnv({ PLUGIN_UNIX_SOCKET_DIR: socketDir }), HANDSHAKE_RUNS);
  rows.push({
    metric: "exec → handshake line (shipped build)",
    value: spread(launches.shipped ?? []),
    how: `${HANDSHAKE_RUNS} launches (after 2 warm-ups) of ${given === undefined ? `the binary built as scripts/build.sh builds it (\`${SHIPPED_FLAGS.join(" ")}\`)` : `$POT_DRIVER_BIN (${given})`}, interleaved with the plain build; wall time from spawn to the first stdout line, then SIGKILL`,
  });
  rows.push({
    metric: "exec → handshake line (plain `--compile`)",
    value: spread(launches.plain ?? []),
    how: "same launches, binary built with `bun build --compile` alone (no bytecode, no minify)",
  });

  progress("starting the simulator world and the plugin");
  const world = await BenchWorld.open(socketDir);
  cleanups.push(() => world.close());
  const pid = world.pid;

  await Bun.sleep(SETTLE_MS);
  rows.push({
    metric: "driver RSS, idle",
    value: mib(mustRss(pid)),
    how: `VmRSS of the plugin ${SETTLE_MS / 1000} s after SetConfig, no tasks`,
  });

  progress("seed job: start, stop, destroy (twice: image import, then cached)");
  const seedWalls: number[] = [];
  const seedCalls: string[] = [];
  for (let i = 0; i < 2; i++) {
    const task = world.seedTask("nginx-pot");
    const logged = readInvocations(world.sim.simRoot).length;
    const startedAt = performance.now();
    await world.start(task);
    seedWalls.push(performance.now() - startedAt);
    await world.stopAndDestroy(task);
    seedCalls.push(summarizeVerbs(readInvocations(world.sim.simRoot).slice(logged)));
  }
  rows.push({
    metric: "seed job StartTask, wall time",
    value: `${ms(seedWalls[1] ?? Number.NaN)} (first run, importing the image: ${ms(seedWalls[0] ?? Number.NaN)})`,
    how: "StartTask call to its answer for the seed job's config (public-bridge, port_map, 2 copies, mount, read-only mount), image already imported; in parentheses the first run, whose prepare fetches and imports it",
  });
  rows.push({
    metric: "pot invocations for the seed job",
    value: seedCalls[1] ?? "?",
    how: `lines of the simulator's invocations.log for StartTask → StopTask (SIGTERM) → WaitTask → DestroyTask, by subcommand, second run${seedCalls[0] === seedCalls[1] ? " (the first, importing the image, made the same)" : `; the first run (importing the image) made ${seedCalls[0]}`}`,
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
    how: `Δ utime+stime of the plugin process itself over ${TASKS} StartTask calls (${START_CONCURRENCY} in flight; nginx, host network, nothing copied or mounted) ÷ ${TASKS}. pot's time is not in it: each pot run is a separate (simulator) process, counted in the plugin's cutime+cstime once reaped (${ms(potPerStart)} per start here, mostly the simulator's Bun start-up, so it says nothing about real pot; \`pot start\` itself runs under the supervisor). ${TASKS} starts took ${startsWallS.toFixed(1)} s`,
  });

  await Bun.sleep(SETTLE_MS);
  rows.push({
    metric: `driver RSS, ${TASKS} running tasks`,
    value: mib(mustRss(pid)),
    how: `VmRSS of the plugin ${SETTLE_MS / 1000} s after the last StartTask answered`,
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

  progress(`${TASKS} TaskStats streams at ${STATS_INTERVAL_MS} ms; measuring for ${WINDOW_S} s`);
  const streams = world.streamStats(tasks, STATS_INTERVAL_MS);
  await waitFor("a first sample on every stats stream", () => streams.counts.every((n) => n > 0), 30_000);
  // perf may be missing or not allowed to attach (perf_event_paranoid, no root): then that one row says why.
  let tracer: ExecTracer | undefined;
  let noTrace = "perf(1) is not installed";
  if (perfAvailable()) {
    try {
      tracer = await attachExecTracer(pid, scratch);
      cleanups.push(() => tracer?.kill());
      await tracer.enable();
    } catch (err) {
      tracer?.kill();
      tracer = undefined;
      noTrace = err instanceof Error ? err.message : String(err);
    }
  }
  const supBefore = new Map(supervisors.map((p) => [p, procStat(p)?.ownSeconds]));
  const windowStat = mustStat(pid);
  const samplesBefore = streams.total();
  const windowBegan = performance.now();
  await Bun.sleep(WINDOW_S * 1000);
  await tracer?.disable();
  const windowS = (performance.now() - windowBegan) / 1000;
  const windowEnd = mustStat(pid);
  const samples = streams.total() - samplesBefore;
  let supervisorsS = 0;
  for (const [p, before] of supBefore) {
    const after = procStat(p)?.ownSeconds;
    if (before !== undefined && after !== undefined) supervisorsS += after - before;
  }
  const execs: ExecTrace | undefined = await tracer?.finish();
  const ownRate = ((windowEnd.ownSeconds - windowStat.ownSeconds) / windowS) * 1000;
  const childRate = ((windowEnd.reapedChildrenSeconds - windowStat.reapedChildrenSeconds) / windowS) * 1000;
  const supRate = (supervisorsS / windowS) * 1000;
  const total = ownRate + childRate + supRate;
  const intervals = Math.round((windowS * 1000) / STATS_INTERVAL_MS);
  // Every completed sampling tick answers all streams at once, so the samples say how many ticks completed.
  const ticks = Math.round(samples / TASKS);
  const tickNote = `${ticks} of ${intervals} sampling ticks completed (a tick whose ps run is still going when the next is due skips that one)`;
  rows.push({
    metric: `driver + children CPU, ${TASKS} tasks streaming stats at 1 s`,
    value: `${total.toFixed(0)} ms/s (${(total / 10).toFixed(1)} % of one core)`,
    how: `over ${windowS.toFixed(1)} s: plugin utime+stime ${ownRate.toFixed(0)} ms/s + reaped children (the ps runs) cutime+cstime ${childRate.toFixed(0)} ms/s + the ${supervisors.length} supervisors' own ${supRate.toFixed(0)} ms/s; ${samples} samples delivered, ${tickNote}`,
  });
  rows.push({
    metric: "processes spawned per stats interval",
    value:
      execs === undefined
        ? "n/a"
        : `${(execs.processes / intervals).toFixed(1)} (${ticks > 0 ? (execs.processes / ticks).toFixed(1) : "n/a"} per completed tick)`,
    how:
      execs === undefined
        ? `counted with perf(1), which could not run: ${noTrace}`
        : `perf record of sched:sched_process_exec on the plugin and every process it started during the same ${windowS.toFixed(1)} s (${intervals} intervals) with ${TASKS} streams open: ${[...execs.byProgram].map(([prog, n]) => `${prog} ×${n}`).join(", ") || "none"}; ${tickNote}`,
  });
  rows.push({
    metric: `driver RSS, ${TASKS} tasks streaming stats`,
    value: mib(mustRss(pid)),
    how: `VmRSS of the plugin at the end of the ${WINDOW_S} s window`,
  });

  // Figures of the Go driver this one replaces, read off its code as described in the reference; not run here.
  rows.push({
    metric: `Go driver: processes per stats interval, ${TASKS} tasks (derived)`,
    value: `≥ ${TASKS} (one pot run per task per tick)`,
    how: "derived from its source, not measured (nomad-pot-driver v0.10.0 driver/handle.go and driver/prepare.go; docs/architecture.md): every TaskStats stream runs `pot get-rss -p <pot> -J` on each tick, a sh script that itself starts `rctl -u jail:<pot>` and more",
  });
  rows.push({
    metric: "Go driver: pot invocations for the seed job (derived)",
    value: "12: ls 1, prepare 1, copy-in 2, mount-in 4, set-env 1, set-rss 1, start 1, destroy 1",
    how: "derived from its source, not measured (nomad-pot-driver v0.10.0 driver/driver.go and driver/pot.go; docs/architecture.md): StartTask and StopTask; plus 11 `sh -c` wrappers (pgrep probe, `pot ls -q | grep`, each copy-in, mount-in, set-env, set-hosts, set-rss)",
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
