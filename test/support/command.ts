// Running a command from a test and reading all of its output: stdout and stderr on pipes read to the end, so a
// chatty command never blocks on a full pipe, and the exit status once it is known.
import type { Subprocess } from "bun";

export interface CommandRun {
  /** The exit status; null when a signal ended the command. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCommand {
  proc: Subprocess<"ignore" | "pipe", "pipe", "pipe">;
  /** Settles once the command has exited and both pipes reached their end. */
  exited: Promise<CommandRun>;
}

/** Starts `argv` with exactly `env`; `input`, when given, is written to its stdin (a pipe), which is then closed. */
export function spawnCollecting(argv: string[], env: Record<string, string | undefined>, input?: string): RunningCommand {
  const proc = Bun.spawn(argv, { env, stdin: input === undefined ? "ignore" : "pipe", stdout: "pipe", stderr: "pipe" });
  if (input !== undefined && proc.stdin !== undefined && typeof proc.stdin !== "number") {
    proc.stdin.write(input);
    proc.stdin.end();
  }
  const exited = (async () => {
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    await proc.exited;
    return { exitCode: proc.exitCode, stdout, stderr };
  })();
  return { proc, exited };
}

/** Runs `argv` with this process's PATH plus `env` to its end; SIGKILLs it at the deadline. */
export async function runToEnd(
  argv: string[],
  options: { env: Record<string, string>; timeoutMs: number; input?: string },
): Promise<CommandRun> {
  const { proc, exited } = spawnCollecting(argv, { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env }, options.input);
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
