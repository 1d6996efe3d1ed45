// Fixture tests for src/pot/parse.ts: every parser and every message family against pot-shaped output.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  isEssentialPrepareSkip,
  classifyFailure,
  compareVersions,
  isStopOfUnknownPot,
  outputTail,
  parseInfo,
  parseLastRunStats,
  parseList,
  parsePreparedName,
  parseVersion,
  splitPotMessages,
} from "../../../src/pot/parse.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "../../fixtures/pot", name), "utf8");

function ok<T>(result: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.value;
}

describe("parseVersion", () => {
  test.each([
    ["version-q.txt", "0.16.0", 0, 16, 0],
    ["version.txt", "0.16.0", 0, 16, 0],
    ["version-q-0.15.6.txt", "0.15.6", 0, 15, 6],
  ])("%s", (file, text, major, minor, patch) => {
    expect(ok(parseVersion(fixture(file)))).toEqual({ text, major, minor, patch });
  });

  test("rejects unrelated output", () => {
    expect(parseVersion("###>  Fatal error!\n").ok).toBe(false);
    expect(parseVersion("").ok).toBe(false);
  });

  test("compares versions numerically", () => {
    const v = ok(parseVersion("0.15.10\n"));
    expect(compareVersions(v, { major: 0, minor: 15, patch: 6 })).toBeGreaterThan(0);
    expect(compareVersions(v, { major: 0, minor: 16, patch: 0 })).toBeLessThan(0);
    expect(compareVersions(v, { major: 0, minor: 15, patch: 10 })).toBe(0);
  });
});

describe("parseList", () => {
  test("one name per line", () => {
    expect(parseList(fixture("ls-q.txt"))).toEqual([
      "nginx-nomad-amd64-13_1_1_1_13",
      "www1_3f2a1b0c_0b6c4f5e-1d2a-4b8e-9f00-123456789abc",
      "worker_9c1d2e3f_0b6c4f5e-1d2a-4b8e-9f00-123456789abc",
    ]);
  });
  test("no pots prints nothing", () => {
    expect(parseList(fixture("ls-q-empty.txt"))).toEqual([]);
  });
});

describe("parseInfo", () => {
  test("public-bridge, running", () => {
    const info = ok(parseInfo(fixture("info-public-bridge.txt")));
    expect(info.name).toBe("www1_3f2a1b0c_0b6c4f5e-1d2a-4b8e-9f00-123456789abc");
    expect(info).toMatchObject({ type: "single", base: "13.1", level: "0", networkType: "public-bridge", ip: "10.192.0.5", active: true });
    expect(info.exportedPorts).toBeUndefined();
    expect(Object.keys(info.attributes)).toHaveLength(9);
    expect(info.attributes.persistent).toBe("NO");
    expect(info.attributes["to-be-pruned"]).toBe("YES");
    expect(Object.keys(info.jailAttributes)).toHaveLength(17);
    expect(info.jailAttributes.stop_timeout).toBe("10");
    expect(info.jailAttributes.exec_stop).toBe("NO");
  });

  test("private-bridge with -v: bridge, exported ports, limits; datasets ignored", () => {
    const info = ok(parseInfo(fixture("info-private-bridge-verbose.txt")));
    expect(info).toMatchObject({ networkType: "private-bridge", ip: "10.1.3.5", bridge: "backend", active: false });
    expect(info.exportedPorts).toEqual(["tcp:443:30443", "80:30080"]);
    expect(info.resourceLimits).toEqual({ cpus: "2", memory: "256M" });
    expect(info.jailAttributes.procfs).toBe("YES");
    expect(info.jailAttributes.stop_timeout).toBe("30");
    expect(info.attributes["/local => /var/lib/nomad/alloc/0b6c4f5e/web/local"]).toBeUndefined();
  });

  test("inherit has no ip line", () => {
    const info = ok(parseInfo(fixture("info-inherit.txt")));
    expect(info.networkType).toBe("inherit");
    expect(info.ip).toBeUndefined();
    expect(info.active).toBe(false);
  });

  test("rejects output without the header or the active line", () => {
    expect(parseInfo("###>  x is not a pot\n").ok).toBe(false);
    expect(parseInfo("pot name : x\n\ttype : single\n").ok).toBe(false);
  });
});

describe("parseLastRunStats", () => {
  test.each([
    ["last-run-stats-sigterm.txt", { kind: "recorded", exitCode: 143 }],
    ["last-run-stats-zero.txt", { kind: "recorded", exitCode: 0 }],
    ["last-run-stats-three.txt", { kind: "recorded", exitCode: 3 }],
    ["last-run-stats-empty.txt", { kind: "empty" }],
  ])("%s", (file, expected) => {
    expect(ok(parseLastRunStats(fixture(file)))).toEqual(expected as never);
  });

  test.each([["garbage"], ["[]"], ['{ "ExitCode": "x" }'], ['{ "ExitCode": -1 }'], ['{ "ExitCode": 1.5 }']])("rejects %s", (text) => {
    expect(parseLastRunStats(text).ok).toBe(false);
  });
});

describe("messages", () => {
  test("splits the three prefixes (two spaces after the marker)", () => {
    const messages = splitPotMessages("###>  bad\n===>  note\n=====>  detail\nplain output\n");
    expect(messages).toEqual({ errors: ["bad"], infos: ["note"], debugs: ["detail"] });
  });

  test("prepare success: the prepared name and the ignored steps", () => {
    expect(parsePreparedName(fixture("prepare-ok.txt"))).toBe("www1_3f2a1b0c_0b6c");
    expect(splitPotMessages(fixture("prepare-ok.txt")).errors).toEqual([]);
    expect(splitPotMessages(fixture("prepare-ignoring.txt")).errors).toEqual([
      "Couldn't set the command /bin/server ot the pot - ignoring",
      "Couldn't export ports 80:30080 - ignoring",
    ]);
    expect(parsePreparedName("===>  importing img @ 1 as img_1\n")).toBeNull();
  });

  test("stop of an unknown pot is recognised", () => {
    expect(isStopOfUnknownPot(splitPotMessages(fixture("stop-unknown.txt")).errors)).toBe(true);
    expect(isStopOfUnknownPot(["pot x is not in a state where it can be stopped"])).toBe(false);
  });

  test("outputTail keeps the last lines of stderr then stdout", () => {
    const stdout = Array.from({ length: 30 }, (_, i) => `out ${i}`).join("\n");
    const tail = outputTail(stdout, "err 1\n\nerr 2\n", 3);
    expect(tail).toBe("err 1\nerr 2\nout 27\nout 28\nout 29");
  });
});

describe("classifyFailure", () => {
  const { cases } = JSON.parse(fixture("failures.json")) as {
    cases: { name: string; stdout: string; stderr: string; kind: string }[];
  };

  test("the fixture covers every kind pot can produce", () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(new Set(["not-found", "already-exists", "locked", "invalid-argument", "failed"]));
  });

  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(classifyFailure(splitPotMessages(c.stdout).errors, c.stdout, c.stderr)).toBe(c.kind as never);
  });
});

describe("isEssentialPrepareSkip", () => {
  test.each([
    ["Couldn't set the command nginx ot the pot - ignoring", true],
    ["Couldn't disable the persistent attribute - ignoring", true],
    ["Couldn't enable the no-rc-script attribute - ignoring", true],
    ["Couldn't export ports - ignoring", true],
    ["Couldn't enable the localhost-tunnel attribute - ignoring", false],
    ["Couldn't disable the enrichment of /etc/hosts - ignoring", false],
    ["Couldn't disable tmpfs for /tmp - ignoring", false],
  ])("%p → %p", (warning, essential) => {
    expect(isEssentialPrepareSkip(warning)).toBe(essential);
  });
});
