// Table tests for src/pot/exit-code.ts: pot start's status × last-run-stats → the task's exit.
import { describe, expect, test } from "bun:test";
import { taskExitFromPotStart, type LastRunStats, type PotStartExit, type TaskExit } from "../../../src/pot/exit-code.ts";

const exited = (exitCode: number): PotStartExit => ({ kind: "exited", exitCode });
const recorded = (exitCode: number): LastRunStats => ({ kind: "recorded", exitCode });
const empty: LastRunStats = { kind: "empty" };
const unreadable: LastRunStats = { kind: "unreadable", reason: "Pot x not found" };

describe("taskExitFromPotStart", () => {
  const table: [string, PotStartExit, LastRunStats, TaskExit["kind"], number | undefined, number | undefined][] = [
    ["command exited 0", exited(0), recorded(0), "exited", 0, 0],
    ["command exited 3 (start 125)", exited(125), recorded(3), "exited", 3, 0],
    ["command exited 1 (start 125)", exited(125), recorded(1), "exited", 1, 0],
    ["command killed by SIGTERM after pot signal (start 125)", exited(125), recorded(143), "exited", 143, 15],
    ["command killed by SIGKILL (start 125)", exited(125), recorded(137), "exited", 137, 9],
    ["external pot stop won the race (start 0, stats 143)", exited(0), recorded(143), "exited", 143, 15],
    ["pot vanished during cleanup (start 1, stats 143)", exited(1), recorded(143), "exited", 143, 15],
    ["start killed by a signal after the command recorded 0", { kind: "signaled", signal: 9 }, recorded(0), "exited", 0, 0],
    ["supervisor lost, stats say 2", { kind: "unobserved" }, recorded(2), "exited", 2, 0],
    ["start 0 without stats (persistent, already running, old pot)", exited(0), empty, "unknown", undefined, undefined],
    ["start 125 without stats", exited(125), empty, "unknown", undefined, undefined],
    ["start 125 contradicted by stats 0", exited(125), recorded(0), "unknown", undefined, undefined],
    ["setup failure (start 1, no stats)", exited(1), empty, "unknown", undefined, undefined],
    ["start killed by SIGTERM, no stats", { kind: "signaled", signal: 15 }, empty, "unknown", undefined, undefined],
    ["nothing observed, stats missing", { kind: "unobserved" }, empty, "unknown", undefined, undefined],
    ["pot destroyed before stats were read", exited(0), unreadable, "unknown", undefined, undefined],
    ["start exited with an odd code, no stats", exited(2), empty, "unknown", undefined, undefined],
  ];

  test.each(table)("%s", (_label, start, stats, kind, exitCode, signal) => {
    const result = taskExitFromPotStart(start, stats);
    expect(result.kind).toBe(kind);
    if (result.kind === "exited") {
      expect(result.exitCode).toBe(exitCode as number);
      expect(result.signal).toBe(signal as number);
    } else {
      expect(result.reason.length).toBeGreaterThan(0);
    }
  });

  test("an unknown exit is never reported as 0", () => {
    for (const start of [exited(0), exited(1), exited(125), { kind: "unobserved" } as PotStartExit]) {
      for (const stats of [empty, unreadable]) {
        const result = taskExitFromPotStart(start, stats);
        expect(result.kind).toBe("unknown");
        expect("exitCode" in result).toBe(false);
      }
    }
  });

  test("reasons name both inputs", () => {
    const result = taskExitFromPotStart(exited(1), unreadable);
    expect(result).toEqual({ kind: "unknown", reason: "pot start failed (exit 1) and last-run-stats unreadable: Pot x not found" });
  });
});

describe("the recorded status is the jail's (FreeBSD's signal numbers on any host)", () => {
  test.each([
    [1, 1, 0],
    [125, 125, 0],
    [127, 127, 0],
    [128, 128, 0],
    [129, 129, 1],
    [130, 130, 2],
    [137, 137, 9],
    [143, 143, 15],
    [161, 161, 33],
    [162, 162, 0],
    [255, 255, 0],
  ])("%i → code %i, signal %i", (status, exitCode, signal) => {
    expect(taskExitFromPotStart(exited(125), recorded(status))).toEqual({ kind: "exited", exitCode, signal });
  });
});
