// From the supervisor's record of `pot start` to the task's real exit (driver layer): pot start's own status
// says little (0, 125 or 1); `pot last-run-stats` holds the command's code (docs/pot-behaviour.md,
// src/pot/exit-code.ts).
import { type LastRunStats, type PotStartExit, taskExitFromPotStart } from "../pot/exit-code.ts";
import type { ExitRecord } from "../supervisor/exit-record.ts";
import type { PotOperations } from "./ports.ts";
import type { TaskOutcome } from "./task-outcome.ts";
import { describeError } from "../log/logger.ts";

export async function resolveOutcome(pot: PotOperations, potName: string, record: ExitRecord): Promise<TaskOutcome> {
  if (record.kind === "failed") {
    return { kind: "unknown", reason: `the task never ran: ${record.reason}` };
  }
  const start: PotStartExit =
    record.kind === "unknown"
      ? { kind: "unobserved" }
      : record.signal > 0
        ? { kind: "signaled", signal: record.signal }
        : { kind: "exited", exitCode: record.exitCode };
  let stats: LastRunStats;
  try {
    stats = await pot.lastRunStats(potName);
  } catch (err) {
    stats = { kind: "unreadable", reason: describeError(err) };
  }
  const exit = taskExitFromPotStart(start, stats);
  if (exit.kind === "unknown") {
    const why = record.kind === "unknown" ? `${record.reason}; ${exit.reason}` : exit.reason;
    return { kind: "unknown", reason: why };
  }
  // rctl's memoryuse deny limit makes allocations fail; it never kills, so there is no OOM kill to report.
  return { kind: "exited", exitCode: exit.exitCode, signal: exit.signal, oomKilled: false };
}
