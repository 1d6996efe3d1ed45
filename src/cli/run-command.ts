// One external command for the operator commands (cli layer): argv array, deadline, outcome instead of a throw.
import { describeError } from "../log/logger.ts";
import type { CommandRunner } from "../pot/runner.ts";
import type { CommandOutcome } from "./doctor-checks.ts";

/** Runs one argv through the runner; a spawn failure becomes an outcome, never a throw. */
export async function runCommand(runner: CommandRunner, argv: readonly string[], timeoutMs: number): Promise<CommandOutcome> {
  try {
    const result = await runner.run(argv, { timeoutMs, killGraceMs: 500 });
    const { stdout, stderr, timedOut } = result;
    return { argv, exitCode: timedOut ? null : result.exitCode, stdout, stderr, timedOut };
  } catch (err) {
    // The runner's error says "failed to spawn"; its cause says why.
    const why = describeError(err instanceof Error && err.cause !== undefined ? err.cause : err);
    return { argv, exitCode: null, stdout: "", stderr: "", timedOut: false, spawnError: `cannot run ${argv[0]}: ${why}` };
  }
}
