// Table tests for src/cli/orphan-plan.ts (which pots and bundles are orphans) and src/cli/confirm.ts (y/N answers).
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { linePrompter } from "../../../src/cli/confirm.ts";
import { type BundleFacts, isYes, type OrphanInputs, planOrphans, potNameOfStartArgv } from "../../../src/cli/orphan-plan.ts";
import { potNameForTask } from "../../../src/pot/naming.ts";

const ALLOC = "0b6c4f5e-1d2a-4b8e-9f00-123456789abc";
const potOf = (task: string, invocation = "3f2a1b0c") =>
  potNameForTask({ allocId: ALLOC, taskName: task, invocationId: invocation }).potName;

test("potNameOfStartArgv", () => {
  expect(potNameOfStartArgv(["/usr/local/bin/pot", "start", "-p", "web_1"])).toBe("web_1");
  expect(potNameOfStartArgv(["/usr/local/bin/pot", "start", "web_1"])).toBeUndefined();
  expect(potNameOfStartArgv(["/bin/sleep", "5"])).toBeUndefined();
  expect(potNameOfStartArgv(["pot", "start", "-p"])).toBeUndefined();
});

const WEB = potOf("web");
const API = potOf("api");
const JOB = potOf("job");
const GONE = potOf("gone");

function bundle(id: string, facts: Partial<BundleFacts>): BundleFacts {
  return { bundleId: id, bundleDir: `/state/tasks/${id}`, exitRecorded: false, supervisor: "alive", ...facts };
}

function plan(inputs: Partial<OrphanInputs>) {
  return planOrphans({ pots: [], bundles: [], potAgesMs: new Map(), minAgeMs: 0, ...inputs });
}

describe("planOrphans", () => {
  test("a pot with a running task is owned; image pots are never candidates", () => {
    const result = plan({ pots: ["nginx_1_0", WEB], bundles: [bundle("w", { potName: WEB })] });
    expect(result).toEqual({ orphans: [], driverPots: 1, bundles: 1, skippedYoung: [] });
  });

  test("a pot no bundle names is an orphan", () => {
    expect(plan({ pots: [API] }).orphans).toEqual([{ kind: "pot", potName: API, reason: "no task bundle names it", bundleDirs: [] }]);
  });

  test("a pot whose every bundle is finished is an orphan, removed with those bundles", () => {
    const finished = bundle("j", { potName: JOB, exitRecorded: true, supervisor: "gone" });
    expect(plan({ pots: [JOB], bundles: [finished] }).orphans).toEqual([
      { kind: "pot", potName: JOB, reason: "its task has ended (exit recorded, supervisor gone)", bundleDirs: ["/state/tasks/j"] },
    ]);
  });

  test.each<[string, Partial<BundleFacts>]>([
    ["exit recorded but supervisor alive (still writing)", { exitRecorded: true, supervisor: "alive" }],
    ["exit recorded, supervisor unknown", { exitRecorded: true, supervisor: "unknown" }],
    ["supervisor gone without an exit record", { exitRecorded: false, supervisor: "gone" }],
  ])("not an orphan: %s", (_name, facts) => {
    expect(plan({ pots: [JOB], bundles: [bundle("j", { potName: JOB, ...facts })] }).orphans).toEqual([]);
  });

  test("one live bundle among finished ones keeps the pot", () => {
    const bundles = [bundle("a", { potName: JOB, exitRecorded: true, supervisor: "gone" }), bundle("b", { potName: JOB })];
    expect(plan({ pots: [JOB], bundles }).orphans).toEqual([]);
  });

  test("a bundle whose pot is gone is an orphan when its supervisor is gone", () => {
    const bundles = [
      bundle("g", { potName: GONE, supervisor: "gone" }),
      bundle("h", { potName: potOf("alive-elsewhere"), supervisor: "alive" }),
    ];
    expect(plan({ pots: [], bundles }).orphans).toEqual([
      { kind: "bundle", bundleId: "g", bundleDir: "/state/tasks/g", potName: GONE, reason: `its pot ${GONE} no longer exists` },
    ]);
  });

  test("an unreadable bundle is an orphan only when no supervisor may be running", () => {
    const bundles = [
      bundle("u", { specError: "spec.json is not JSON", supervisor: "gone" }),
      bundle("v", { specError: "x", supervisor: "unknown" }),
    ];
    expect(plan({ bundles }).orphans).toEqual([
      { kind: "bundle", bundleId: "u", bundleDir: "/state/tasks/u", reason: "unreadable bundle: spec.json is not JSON" },
    ]);
  });

  test("pots younger than minAge, or of unknown age, are skipped and reported", () => {
    const result = plan({
      pots: [API, WEB, JOB],
      potAgesMs: new Map([
        [API, 5_000],
        [JOB, 700_000],
      ]),
      minAgeMs: 600_000,
    });
    expect(result.orphans.map((o) => (o.kind === "pot" ? o.potName : o.bundleId))).toEqual([JOB]);
    expect(result.skippedYoung).toEqual([API, WEB]);
  });

  test("pots come first in pot ls order, then bundles", () => {
    const result = plan({ pots: [JOB, API], bundles: [bundle("g", { potName: GONE, supervisor: "gone" })] });
    expect(result.orphans.map((o) => o.kind)).toEqual(["pot", "pot", "bundle"]);
    expect(result.orphans.map((o) => (o.kind === "pot" ? o.potName : o.bundleId))).toEqual([JOB, API, "g"]);
  });
});

describe("isYes", () => {
  test.each([
    ["y", true],
    ["Y", true],
    ["yes", true],
    [" YES \r", true],
    ["", false],
    ["n", false],
    ["no", false],
    ["yep", false],
    ["y y", false],
  ])("%p → %p", (answer, expected) => {
    expect(isYes(answer)).toBe(expected);
  });
});

describe("linePrompter", () => {
  test("asks, reads one line per question, and answers no at end of input", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let written = "";
    output.on("data", (chunk) => (written += chunk.toString()));
    const prompter = linePrompter(input, output);
    const first = prompter.confirm("first? ");
    input.write("y\nno\n");
    expect(await first).toBe(true);
    expect(await prompter.confirm("second? ")).toBe(false);
    const third = prompter.confirm("third? ");
    input.end();
    expect(await third).toBe(false);
    expect(await prompter.confirm("fourth? ")).toBe(false);
    prompter.close();
    expect(written).toBe("first? second? third? \nfourth? \n");
  });
  test("reads nothing before the first question", () => {
    const input = new PassThrough();
    linePrompter(input, new PassThrough()).close();
    expect(input.listenerCount("data")).toBe(0);
  });
});
