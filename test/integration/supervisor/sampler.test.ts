// Integration test for src/supervisor/sampler.ts against real ps and real supervised tasks.
//
// Checks the RSS of sleeping tasks, the CPU percent of a busy loop, and one ps per interval for three tasks.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { launch, type SupervisedProcess } from "../../../src/supervisor/client.ts";
import { psSpawnCount } from "../../../src/supervisor/ps.ts";
import { StatsSampler, type SessionSample } from "../../../src/supervisor/sampler.ts";
import { killGroupQuietly, tempDir } from "../../support/supervision.ts";
import { waitFor, within } from "../../support/wait.ts";

const root = tempDir("sampler-it");
const launched: SupervisedProcess[] = [];

afterAll(() => {
  for (const supervised of launched) killGroupQuietly(supervised.pid);
  root.cleanup();
});

async function start(name: string, argv: string[]): Promise<SupervisedProcess> {
  const supervised = await launch({
    stateDir: join(root.dir, "state"),
    taskId: `alloc/${name}/1`,
    argv,
    stdoutPath: "/dev/null",
    stderrPath: "/dev/null",
  });
  launched.push(supervised);
  return supervised;
}

test("one ps per interval samples RSS and CPU of several tasks", async () => {
  const busy = await start("busy", ["sh", "-c", "while :; do :; done"]);
  const sleepers = [await start("sleep-a", ["sleep", "600"]), await start("sleep-b", ["sleep", "600"])];
  const intervalMs = 500;
  const sampler = new StatsSampler();
  const samples = new Map<number, SessionSample[]>();
  const spawnedBefore = psSpawnCount();
  const subscriptions = [busy, ...sleepers].map((task) => {
    samples.set(task.pid, []);
    return sampler.subscribe(task.pid, intervalMs, (sample) => samples.get(task.pid)?.push(sample));
  });
  const busySamples = samples.get(busy.pid) as SessionSample[];
  // Linux's ps reports whole CPU seconds, so percent is only meaningful averaged over a few intervals.
  await waitFor("eight samples of the busy task", () => busySamples.length >= 8, 20_000);
  for (const subscription of subscriptions) subscription.unsubscribe();
  const ticks = busySamples.length;
  const spawned = psSpawnCount() - spawnedBefore;

  console.log(`processes spawned per stats interval: ${(spawned / ticks).toFixed(2)} (${spawned} ps runs, ${ticks} intervals, 3 tasks)`);
  expect(sampler.spawnCount).toBe(spawned);
  expect(spawned).toBe(ticks);
  for (const sleeper of sleepers) {
    const last = samples.get(sleeper.pid)?.at(-1) as SessionSample;
    // The supervisor (sh) and sleep.
    expect(last.processCount).toBe(2);
    expect(last.pids).toContain(sleeper.pid);
    expect(last.rssBytes).toBeGreaterThan(0);
    expect(samples.get(sleeper.pid)?.length).toBe(ticks);
  }
  const percents = busySamples.slice(1).map((sample) => sample.cpuPercent as number);
  const mean = percents.reduce((sum, percent) => sum + percent, 0) / percents.length;
  console.log(`busy loop CPU: ${percents.map((p) => p.toFixed(0)).join(" ")} % (mean ${mean.toFixed(0)} %)`);
  expect(mean).toBeGreaterThan(25);
  expect((busySamples.at(-1) as SessionSample).cpuSeconds).toBeGreaterThan((busySamples[0] as SessionSample).cpuSeconds);
  expect(sampler.activeIntervals).toEqual([]);

  for (const supervised of launched) supervised.kill();
  await within("the tasks to be gone", Promise.all(launched.map((supervised) => supervised.exited)));
}, 60_000);
