// Tests for readHostCpu (src/pot/host-facts.ts): os.cpus() may throw or know no speed on FreeBSD; sysctl fills in.
import { describe, expect, test } from "bun:test";
import { parseSysctlValues, readHostCpu } from "../../../src/pot/host-facts.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../../../src/pot/runner.ts";

class SysctlRunner implements CommandRunner {
  calls: string[][] = [];
  constructor(private readonly stdout: string) {}
  async run(argv: readonly string[], _options?: RunOptions): Promise<CommandResult> {
    this.calls.push([...argv]);
    return { argv, exitCode: 0, signal: null, stdout: this.stdout, stderr: "", durationMs: 1, timedOut: false, aborted: false };
  }
}

const throwing = () => {
  throw new Error("kern.cp_times: size mismatch");
};

describe("readHostCpu", () => {
  test("os.cpus() throwing on FreeBSD: count and speed from sysctl, no crash", async () => {
    const runner = new SysctlRunner("hw.ncpu: 6\nhw.clockrate: 2400\ndev.cpu.0.freq: 1200\n");
    const cpu = await readHostCpu(runner, "freebsd", { cpus: throwing, availableParallelism: () => 99 });
    expect(cpu).toEqual({ count: 6, mhz: 2400 });
    expect(runner.calls).toEqual([["/sbin/sysctl", "-i", "hw.ncpu", "hw.clockrate", "dev.cpu.0.freq"]]);
  });

  test("arm64 (no hw.clockrate, os.cpus() speed 0): the speed comes from dev.cpu.0.freq, not a made-up 1000", async () => {
    const runner = new SysctlRunner("hw.ncpu: 4\ndev.cpu.0.freq: 1800\n");
    const cpu = await readHostCpu(runner, "freebsd", { cpus: () => Array(4).fill({ speed: 0 }), availableParallelism: () => 4 });
    expect(cpu).toEqual({ count: 4, mhz: 1800 });
  });

  test("os.cpus() complete: no sysctl run", async () => {
    const runner = new SysctlRunner("");
    expect(await readHostCpu(runner, "freebsd", { cpus: () => [{ speed: 3000 }, { speed: 3000 }], availableParallelism: () => 2 })).toEqual(
      {
        count: 2,
        mhz: 3000,
      },
    );
    expect(runner.calls).toEqual([]);
  });

  test("nothing known off FreeBSD: the count from availableParallelism, the speed unknown", async () => {
    const runner = new SysctlRunner("");
    expect(await readHostCpu(runner, "linux", { cpus: throwing, availableParallelism: () => 3 })).toEqual({ count: 3, mhz: undefined });
    expect(runner.calls).toEqual([]);
  });
});

test("parseSysctlValues keeps integer values by name", () => {
  expect(parseSysctlValues("hw.ncpu: 8\nhw.model: Some CPU\ndev.cpu.0.freq: 2000\n")).toEqual(
    new Map([
      ["hw.ncpu", 8],
      ["dev.cpu.0.freq", 2000],
    ]),
  );
});
