// The task's real exit from `pot start`'s own exit status plus `pot last-run-stats` (layer 3, pure).
//
// pot start (0.15+, non-persistent pot) exits 0 when the command exited 0 or when someone else was already
// stopping the pot, 125 when the command exited non-zero, and 1 for setup failures or when the pot vanished
// under it (docs/pot-behaviour.md, exit status). The command's own status is the `{ "ExitCode": N }` that start
// writes to conf/.last_run_stats (N = the shell's wait status: the code, or 128+signal). `{}` means nothing was
// recorded.
import { FREEBSD_MAX_SHELL_SIGNAL, fromShellStatus } from "../support/wait-status.ts";

/** How `pot start` itself ended, as observed by whoever waited for it. */
export type PotStartExit =
  | { kind: "exited"; exitCode: number }
  | { kind: "signaled"; signal: number }
  /** Nobody observed it (e.g. the supervisor died without an exit record). */
  | { kind: "unobserved" };

/** What `pot last-run-stats` said, or why it could not be read. */
export type LastRunStats = { kind: "recorded"; exitCode: number } | { kind: "empty" } | { kind: "unreadable"; reason: string };

/** The task's exit. `unknown` is never to be reported as exit code 0. */
export type TaskExit = { kind: "exited"; exitCode: number; signal: number } | { kind: "unknown"; reason: string };

/** pot start's status for "the command exited non-zero". */
export const POT_START_APPLICATION_ERROR = 125;

/**
 * Combines pot start's exit with last-run-stats into the task's exit.
 *
 * - A recorded ExitCode is the task's exit whatever start returned (start returns 0 when a concurrent
 *   `pot stop` won the race, 1 when the pot vanished during cleanup), except that start 125 with a recorded 0
 *   contradicts itself and is unknown.
 * - Without a recorded code the exit is unknown: start 0 then means a persistent pot, a pot that was already
 *   running, or a pot older than 0.15; start 1 means the command never ran; anything else means start died.
 *
 * Assumes the pot is fresh for this invocation (prepared per task), so a recorded code cannot be stale.
 */
export function taskExitFromPotStart(start: PotStartExit, stats: LastRunStats): TaskExit {
  if (stats.kind === "recorded") {
    if (start.kind === "exited" && start.exitCode === POT_START_APPLICATION_ERROR && stats.exitCode === 0) {
      return { kind: "unknown", reason: "pot start reported an application error but last-run-stats recorded exit code 0" };
    }
    // The jail's sh wrote the status, so FreeBSD's signal numbers apply whatever the host.
    const decoded = fromShellStatus(stats.exitCode, FREEBSD_MAX_SHELL_SIGNAL);
    return { kind: "exited", exitCode: decoded.exitCode, signal: decoded.signal };
  }
  const statsText = stats.kind === "empty" ? "last-run-stats recorded no exit code" : `last-run-stats unreadable: ${stats.reason}`;
  return { kind: "unknown", reason: `${describeStartExit(start)} and ${statsText}` };
}

function describeStartExit(start: PotStartExit): string {
  switch (start.kind) {
    case "exited":
      if (start.exitCode === 0) return "pot start exited 0";
      if (start.exitCode === POT_START_APPLICATION_ERROR) return "pot start reported an application error (125)";
      if (start.exitCode === 1) return "pot start failed (exit 1)";
      return `pot start exited ${start.exitCode}`;
    case "signaled":
      return `pot start was killed by signal ${start.signal}`;
    case "unobserved":
      return "the exit of pot start was not observed";
  }
}
