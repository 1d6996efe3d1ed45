// Table tests for src/driver/task-exit.ts: pot start's end × last-run-stats → the task's outcome, and the one
// read of last-run-stats.
import { describe, expect, test } from "bun:test";
import { type PotStartExit, resolveOutcome, type StatsReading, type TaskOutcome, taskOutcome } from "../../../src/driver/task-exit.ts";
import { PotCli } from "../../../src/pot/pot-cli.ts";
import type { CommandResult, CommandRunner } from "../../../src/pot/runner.ts";

const exited = (exitCode: number): PotStartExit => ({ kind: "exited", exitCode, signal: 0 });
const signaled = (signal: number): PotStartExit => ({ kind: "exited", exitCode: 128 + signal, signal });
const unobserved: PotStartExit = { kind: "unknown", reason: "supervisor (pid 7) is gone and left no exit record" };
const recorded = (exitCode: number): StatsReading => ({ kind: "recorded", exitCode });
const empty: StatsReading = { kind: "empty" };
const unreadable: StatsReading = { kind: "unreadable", reason: "Pot x not found" };

describe("taskOutcome", () => {
  const table: [string, PotStartExit, StatsReading, TaskOutcome["kind"], number | undefined, number | undefined][] = [
    ["command exited 0", exited(0), recorded(0), "exited", 0, 0],
    ["command exited 3 (start 125)", exited(125), recorded(3), "exited", 3, 0],
    ["command exited 1 (start 125)", exited(125), recorded(1), "exited", 1, 0],
    ["command killed by SIGTERM after pot signal (start 125)", exited(125), recorded(143), "exited", 143, 15],
    ["command killed by SIGKILL (start 125)", exited(125), recorded(137), "exited", 137, 9],
    ["external pot stop won the race (start 0, stats 143)", exited(0), recorded(143), "exited", 143, 15],
    ["pot vanished during cleanup (start 1, stats 143)", exited(1), recorded(143), "exited", 143, 15],
    ["start killed by a signal after the command recorded 0", signaled(9), recorded(0), "exited", 0, 0],
    ["supervisor lost, stats say 2", unobserved, recorded(2), "exited", 2, 0],
    ["start 0 without stats (persistent, already running, old pot)", exited(0), empty, "unknown", undefined, undefined],
    ["start 125 without stats", exited(125), empty, "unknown", undefined, undefined],
    ["start 125 contradicted by stats 0", exited(125), recorded(0), "unknown", undefined, undefined],
    ["setup failure (start 1, no stats)", exited(1), empty, "unknown", undefined, undefined],
    ["start killed by SIGTERM, no stats", signaled(15), empty, "unknown", undefined, undefined],
    ["nothing observed, stats missing", unobserved, empty, "unknown", undefined, undefined],
    ["pot destroyed before stats were read", exited(0), unreadable, "unknown", undefined, undefined],
    ["start exited with an odd code, no stats", exited(2), empty, "unknown", undefined, undefined],
    ["start never ran the command, stale stats", { kind: "failed", reason: "x" }, recorded(0), "unknown", undefined, undefined],
  ];

  test.each(table)("%s", (_label, start, stats, kind, exitCode, signal) => {
    const result = taskOutcome(start, stats);
    expect(result.kind).toBe(kind);
    if (result.kind === "exited") {
      expect(result).toEqual({ kind: "exited", exitCode: exitCode as number, signal: signal as number, oomKilled: false });
    } else {
      expect(result.reason.length).toBeGreaterThan(0);
    }
  });

  test("an unknown exit is never reported as 0", () => {
    for (const start of [exited(0), exited(1), exited(125), unobserved]) {
      for (const stats of [empty, unreadable]) {
        const result = taskOutcome(start, stats);
        expect(result.kind).toBe("unknown");
        expect("exitCode" in result).toBe(false);
      }
    }
  });

  test("reasons name both inputs, and what the supervision said first", () => {
    expect(taskOutcome(exited(1), unreadable)).toEqual({
      kind: "unknown",
      reason: "pot start failed (exit 1) and last-run-stats unreadable: Pot x not found",
    });
    expect(taskOutcome(signaled(15), empty)).toEqual({
      kind: "unknown",
      reason: "pot start was killed by signal 15 and last-run-stats recorded no exit code",
    });
    expect(taskOutcome(unobserved, empty)).toEqual({
      kind: "unknown",
      reason:
        "supervisor (pid 7) is gone and left no exit record; the exit of pot start was not observed and last-run-stats recorded no exit code",
    });
    expect(taskOutcome({ kind: "failed", reason: "supervisor refused stdout destination /x: it is a symlink" }, empty)).toEqual({
      kind: "unknown",
      reason: "the task never ran: supervisor refused stdout destination /x: it is a symlink",
    });
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
    expect(taskOutcome(exited(125), recorded(status))).toEqual({ kind: "exited", exitCode, signal, oomKilled: false });
  });
});

describe("resolveOutcome", () => {
  /** A pot whose last-run-stats prints `stdout` (exit 0), and the argvs it ran. */
  function potSaying(stdout: string, exitCode = 0): { pot: PotCli; ran: string[][] } {
    const ran: string[][] = [];
    const runner: CommandRunner = {
      async run(argv): Promise<CommandResult> {
        ran.push([...argv]);
        return { argv, exitCode, signal: null, stdout, stderr: "", durationMs: 1, timedOut: false, aborted: false };
      },
    };
    return { pot: new PotCli("/usr/local/bin/pot", runner), ran };
  }

  test("reads last-run-stats of the pot for the exit code", async () => {
    const { pot, ran } = potSaying('{ "ExitCode": 3 }\n');
    expect(await resolveOutcome(pot, "web_1", exited(125))).toEqual({ kind: "exited", exitCode: 3, signal: 0, oomKilled: false });
    expect(ran).toEqual([["/usr/local/bin/pot", "last-run-stats", "-p", "web_1"]]);
  });

  test("a failed read is an unknown exit that says why", async () => {
    const { pot } = potSaying("###>  web_1 is not a pot\n", 1);
    const outcome = await resolveOutcome(pot, "web_1", exited(0));
    expect(outcome.kind).toBe("unknown");
    expect(outcome.kind === "unknown" && outcome.reason).toStartWith("pot start exited 0 and last-run-stats unreadable: ");
  });

  test("a start that never ran the command asks pot nothing", async () => {
    const { pot, ran } = potSaying('{ "ExitCode": 0 }\n');
    expect(await resolveOutcome(pot, "web_1", { kind: "failed", reason: "x" })).toEqual({
      kind: "unknown",
      reason: "the task never ran: x",
    });
    expect(ran).toEqual([]);
  });
});
