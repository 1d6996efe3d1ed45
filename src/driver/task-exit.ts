// How a task ended (driver layer): from how `pot start` ended, as the supervision reports it, plus
// `pot last-run-stats`, to the outcome Nomad sees. pot start (0.15+, non-persistent pot) exits 0 when the command
// exited 0 or when someone else was already stopping the pot, 125 when the command exited non-zero, and 1 for
// setup failures or when the pot vanished under it; the command's own status is the `{ "ExitCode": N }` start
// writes for last-run-stats, `{}` when nothing was recorded (docs/pot-behaviour.md, "Exit status").
import { describeError } from "../log/logger.ts";
import type { LastRunStats } from "../pot/parse.ts";
import { FREEBSD_MAX_SHELL_SIGNAL, fromShellStatus } from "../support/wait-status.ts";
import type { PotOperations } from "./ports.ts";

/**
 * How the supervised `pot start` ended, as the supervision port reports it (src/app/supervision-adapter.ts
 * converts the supervisor's exit record).
 * - "exited": it ran and ended; `exitCode` follows Nomad's convention (128+N when killed by signal N, with
 *   `signal` = N; otherwise `signal` = 0).
 * - "failed": it never ran (the supervisor could not, or would not, open a log destination); `reason` says why.
 * - "unknown": nobody can know how it ended (the supervisor vanished without a record, or the record is
 *   unreadable).
 */
export type PotStartExit =
  | { kind: "exited"; exitCode: number; signal: number }
  | { kind: "failed"; reason: string }
  | { kind: "unknown"; reason: string };

/** How a task ended. `unknown` is reported to Nomad as an explicit error, never as exit code 0. */
export type TaskOutcome = { kind: "exited"; exitCode: number; signal: number; oomKilled: boolean } | { kind: "unknown"; reason: string };

/** What `pot last-run-stats` said, or why it could not be read. */
export type StatsReading = LastRunStats | { kind: "unreadable"; reason: string };

/** pot start's status for "the command exited non-zero". */
export const POT_START_APPLICATION_ERROR = 125;

/**
 * Combines pot start's end with last-run-stats into the task's outcome.
 *
 * - A start that never ran the command is unknown, whatever the stats say.
 * - A recorded ExitCode is the task's exit whatever start returned (start returns 0 when a concurrent
 *   `pot stop` won the race, 1 when the pot vanished during cleanup), except that start 125 with a recorded 0
 *   contradicts itself and is unknown. The jail's sh wrote the status, so FreeBSD's signal numbers apply.
 * - Without a recorded code the exit is unknown: start 0 then means a persistent pot, a pot that was already
 *   running, or a pot older than 0.15; start 1 means the command never ran; anything else means start died.
 *
 * Assumes the pot is fresh for this invocation (prepared per task), so a recorded code cannot be stale.
 * rctl's memoryuse deny limit makes allocations fail; it never kills, so there is no OOM kill to report.
 */
export function taskOutcome(start: PotStartExit, stats: StatsReading): TaskOutcome {
  if (start.kind === "failed") return { kind: "unknown", reason: `the task never ran: ${start.reason}` };
  if (stats.kind === "recorded") {
    if (start.kind === "exited" && start.exitCode === POT_START_APPLICATION_ERROR && stats.exitCode === 0) {
      return { kind: "unknown", reason: "pot start reported an application error but last-run-stats recorded exit code 0" };
    }
    const { exitCode, signal } = fromShellStatus(stats.exitCode, FREEBSD_MAX_SHELL_SIGNAL);
    return { kind: "exited", exitCode, signal, oomKilled: false };
  }
  const statsText = stats.kind === "empty" ? "last-run-stats recorded no exit code" : `last-run-stats unreadable: ${stats.reason}`;
  const why = `${describeStart(start)} and ${statsText}`;
  return { kind: "unknown", reason: start.kind === "unknown" ? `${start.reason}; ${why}` : why };
}

/** taskOutcome with the stats read from pot now (not read for a start that never ran the command). */
export async function resolveOutcome(pot: Pick<PotOperations, "lastRunStats">, potName: string, start: PotStartExit): Promise<TaskOutcome> {
  if (start.kind === "failed") return taskOutcome(start, { kind: "empty" });
  let stats: StatsReading;
  try {
    stats = await pot.lastRunStats(potName);
  } catch (err) {
    stats = { kind: "unreadable", reason: describeError(err) };
  }
  return taskOutcome(start, stats);
}

function describeStart(start: Exclude<PotStartExit, { kind: "failed" }>): string {
  if (start.kind === "unknown") return "the exit of pot start was not observed";
  if (start.signal > 0) return `pot start was killed by signal ${start.signal}`;
  if (start.exitCode === 0) return "pot start exited 0";
  if (start.exitCode === POT_START_APPLICATION_ERROR) return "pot start reported an application error (125)";
  if (start.exitCode === 1) return "pot start failed (exit 1)";
  return `pot start exited ${start.exitCode}`;
}
