import { describe, expect, test } from "bun:test";
import { parseSysctl, readHostFacts } from "../../../src/pot/host-facts.ts";
import type { CommandResult, CommandRunner } from "../../../src/pot/runner.ts";

function runner(replies: Record<string, Partial<CommandResult>>): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(argv) {
      calls.push([...argv]);
      const reply = replies[argv[0] ?? ""] ?? {};
      return { argv, exitCode: 0, signal: null, stdout: "", stderr: "", durationMs: 1, timedOut: false, aborted: false, ...reply };
    },
  };
}

describe("host facts", () => {
  test("parses sysctl output", () => {
    expect(parseSysctl("kern.racct.enable: 1\nkern.features.vimage: 1\n")).toEqual({ racct: true, vimage: true });
    expect(parseSysctl("kern.racct.enable: 0\n")).toEqual({ racct: false });
    expect(parseSysctl("")).toEqual({});
  });

  test("FreeBSD: one sysctl and one kldstat", async () => {
    const r = runner({ "/sbin/sysctl": { stdout: "kern.racct.enable: 0\nkern.features.vimage: 1\n" }, "/sbin/kldstat": { exitCode: 1 } });
    expect(await readHostFacts(r, "freebsd")).toEqual({ racct: false, vimage: true, zfs: false });
    expect(r.calls.length).toBe(2);
  });

  test("other systems: nothing is run", async () => {
    const r = runner({});
    expect(await readHostFacts(r, "linux")).toEqual({});
    expect(r.calls).toEqual([]);
  });
});
