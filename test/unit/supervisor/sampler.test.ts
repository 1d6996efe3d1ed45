// Unit tests for src/supervisor/sampler.ts against scripted process tables (no ps is run).
//
// Covered: sharing per interval, CPU percent, skipped failures, listener isolation, stopping with the last
// subscriber.
import { describe, expect, test } from "bun:test";
import { performance } from "node:perf_hooks";
import { StatsSampler, type SessionSample } from "../../../src/supervisor/sampler.ts";
import { waitFor } from "../../support/wait.ts";

/** The sampler's ticks are tens of milliseconds apart: poll often, so no more ticks pass than a test expects. */
const until = (what: string, condition: () => boolean) => waitFor(what, condition, 5_000, 5);

/** A table in FreeBSD's shape where session 100 burns `cores` CPUs of real time and session 200 is idle. */
function burningTable(cores: number): () => Promise<string> {
  const start = performance.now();
  return async () => {
    const cpu = ((performance.now() - start) / 1000) * cores;
    const minutes = Math.floor(cpu / 60);
    const seconds = (cpu - minutes * 60).toFixed(2).padStart(5, "0");
    return [
      `  100     1   100   1660   0:00.00`,
      `  101   100   100   4096 ${minutes}:${seconds}`,
      `  200     1   200   1000   0:00.50`,
    ].join("\n");
  };
}

describe("StatsSampler", () => {
  test("subscribers of one interval share one table read per tick; another interval has its own", async () => {
    let reads = 0;
    const table = burningTable(1);
    const sampler = new StatsSampler({
      readTable: () => {
        reads += 1;
        return table();
      },
    });
    const a: SessionSample[] = [];
    const b: SessionSample[] = [];
    const c: SessionSample[] = [];
    const subA = sampler.subscribe(100, 40, (s) => a.push(s));
    const subB = sampler.subscribe(200, 40, (s) => b.push(s));
    const subC = sampler.subscribe(200, 70, (s) => c.push(s));
    expect(sampler.activeIntervals).toEqual([40, 70]);
    await until("five ticks at 40 ms", () => a.length >= 5 && c.length >= 2);
    subA.unsubscribe();
    subB.unsubscribe();
    subC.unsubscribe();
    // Session 200 joined the 40 ms interval after its first (immediate) tick, so it has at most one fewer sample.
    expect(a.length - b.length).toBeLessThanOrEqual(1);
    expect(sampler.spawnCount).toBe(reads);
    expect(reads).toBeLessThanOrEqual(a.length + c.length + 2);
    expect(a[0]?.cpuPercent).toBeNull();
    expect(a[0]).toMatchObject({ sessionId: 100, processCount: 2, pids: [100, 101], rssBytes: (1660 + 4096) * 1024 });
    expect(b.at(-1)).toMatchObject({ sessionId: 200, processCount: 1, rssBytes: 1000 * 1024, cpuSeconds: 0.5 });
  });

  test("CPU percent is Δcpu / Δwall over the subscriber's own samples, summed over cores", async () => {
    const sampler = new StatsSampler({ readTable: burningTable(2) });
    const samples: SessionSample[] = [];
    const idle: SessionSample[] = [];
    const sub = sampler.subscribe(100, 100, (s) => samples.push(s));
    const subIdle = sampler.subscribe(200, 100, (s) => idle.push(s));
    await until("six samples", () => samples.length >= 6);
    sub.unsubscribe();
    subIdle.unsubscribe();
    const percents = samples.slice(1).map((s) => s.cpuPercent as number);
    const mean = percents.reduce((sum, p) => sum + p, 0) / percents.length;
    // Two cores busy: about 200 %, up to the hundredth-of-a-second rounding of the table and timer jitter.
    expect(mean).toBeGreaterThan(150);
    expect(mean).toBeLessThan(250);
    expect(idle.slice(1).every((s) => s.cpuPercent === 0)).toBe(true);
  });

  test("a session that loses CPU time (a process exited) reports 0 %, never negative", async () => {
    let cpu = 100;
    const sampler = new StatsSampler({
      readTable: async () => `  100 1 100 10 ${Math.floor(cpu / 60)}:${String(cpu % 60).padStart(2, "0")}.00`,
    });
    const samples: SessionSample[] = [];
    const sub = sampler.subscribe(100, 30, (s) => {
      samples.push(s);
      cpu = 40;
    });
    await until("two samples", () => samples.length >= 2);
    sub.unsubscribe();
    expect(samples[1]?.cpuPercent).toBe(0);
    expect(samples[1]?.cpuSeconds).toBe(40);
  });

  test("a failed table read skips that tick only; a throwing listener stays subscribed", async () => {
    let reads = 0;
    const table = burningTable(0);
    const sampler = new StatsSampler({
      readTable: async () => {
        reads += 1;
        if (reads === 2 || reads === 3) throw new Error("ps: transient failure");
        return table();
      },
    });
    const samples: SessionSample[] = [];
    const sub = sampler.subscribe(100, 30, (s) => {
      samples.push(s);
      throw new Error("listener bug");
    });
    await until("samples after the failures", () => samples.length >= 3);
    sub.unsubscribe();
    expect(reads - samples.length).toBe(2);
  });

  test("the last unsubscribe stops the interval's timer; unsubscribe is idempotent", async () => {
    let reads = 0;
    const table = burningTable(0);
    const sampler = new StatsSampler({
      readTable: () => {
        reads += 1;
        return table();
      },
    });
    const first = sampler.subscribe(100, 20, () => {});
    const second = sampler.subscribe(200, 20, () => {});
    await until("a tick", () => reads >= 2);
    first.unsubscribe();
    expect(sampler.activeIntervals).toEqual([20]);
    second.unsubscribe();
    second.unsubscribe();
    expect(sampler.activeIntervals).toEqual([]);
    const readsAtStop = reads;

    // A second sampler at the same interval proves time has passed for several ticks.
    let witnessTicks = 0;
    const witness = new StatsSampler({ readTable: table });
    const sub = witness.subscribe(100, 20, () => {
      witnessTicks += 1;
    });
    await until("the witness to tick five times", () => witnessTicks >= 5);
    sub.unsubscribe();
    expect(reads).toBe(readsAtStop);
  });

  test("intervals must be positive whole milliseconds", () => {
    const sampler = new StatsSampler({ readTable: async () => "" });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => sampler.subscribe(100, bad, () => {})).toThrow(RangeError);
    }
    expect(sampler.activeIntervals).toEqual([]);
  });
});

describe("StatsSampler identity probes", () => {
  /** An identity table: supervisor 100 (live), 300 (zombie); 200 is not listed. */
  const identityTable = [
    "  100     1   100   1660   0:00.00 Ss   /bin/sh /state/tasks/ab/supervise.sh tok -- pot start web",
    "  101   100   100   4096   0:01.00 S    nginx: master process",
    "  300     1   300      0   0:00.00 Z    ",
  ].join("\n");

  function scripted(): { sampler: StatsSampler; reads: boolean[] } {
    const reads: boolean[] = [];
    const plain = burningTable(0);
    const sampler = new StatsSampler({
      readTable: async (withIdentity) => {
        reads.push(withIdentity);
        return withIdentity ? identityTable : plain();
      },
    });
    return { sampler, reads };
  }

  test("with no interval running, probes asked for together share one identity read", async () => {
    const { sampler, reads } = scripted();
    const answers = await Promise.all([sampler.probe(100), sampler.probe(200), sampler.probe(300)]);
    expect(answers).toEqual([
      { state: "live", args: "/bin/sh /state/tasks/ab/supervise.sh tok -- pot start web" },
      { state: "gone" },
      { state: "zombie" },
    ]);
    expect(reads).toEqual([true]);
    expect(sampler.spawnCount).toBe(1);
    expect(sampler.probeCount).toBe(3);
  });

  test("with an interval running, probes ride on its next tick: no read of their own", async () => {
    const { sampler, reads } = scripted();
    const samples: SessionSample[] = [];
    const sub = sampler.subscribe(100, 30, (s) => samples.push(s));
    await until("the first tick", () => samples.length >= 1);
    const before = reads.length;
    const answers = await Promise.all([sampler.probe(100), sampler.probe(300)]);
    const after = reads.length;
    await until("another tick", () => reads.length >= after + 1);
    sub.unsubscribe();
    expect(answers).toEqual([{ state: "live", args: "/bin/sh /state/tasks/ab/supervise.sh tok -- pot start web" }, { state: "zombie" }]);
    // Exactly one tick read the identity columns, and every read was a tick's (one sample each).
    expect(reads.slice(before, after)).toEqual([true]);
    expect(reads.filter((withIdentity) => withIdentity)).toHaveLength(1);
    expect(reads.length).toBe(samples.length);
  });

  test("a probe waiting for an interval whose last subscriber leaves gets a read of its own", async () => {
    let release: () => void = () => {};
    const reads: boolean[] = [];
    const sampler = new StatsSampler({
      readTable: async (withIdentity) => {
        reads.push(withIdentity);
        if (reads.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return identityTable;
      },
    });
    const sub = sampler.subscribe(100, 60_000, () => {});
    // The interval's first tick is still reading; the probe waits for the next tick, which never comes.
    const answer = sampler.probe(101);
    sub.unsubscribe();
    release();
    expect(await answer).toEqual({ state: "live", args: "nginx: master process" });
    expect(reads).toEqual([false, true]);
  });

  test("a failed read rejects the probes that waited for it", async () => {
    const sampler = new StatsSampler({
      readTable: async () => {
        throw new Error("ps: cannot run");
      },
    });
    await expect(sampler.probe(100)).rejects.toThrow("ps: cannot run");
  });
});
