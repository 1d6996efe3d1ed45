// The one place the supervisor layer runs ps(1): a bounded run, a spawn counter, and the per-pid probe (layer 4).
//
// FreeBSD has no /proc by default, so ps is the one interface to process state that works the same on
// FreeBSD (the target) and Linux (the test host). Only keywords both ps(1) implementations define are used
// (pid ppid sid rss time stat args), each in its own -o: FreeBSD reads everything after "=" in one -o as the
// header (bin/ps/keyword.c parsefmt), so "-o pid=,sid=" would not mean two columns there.
import { describeError } from "../log/logger.ts";
import { childEnv } from "../support/child-env.ts";

/** Path of ps(1) on FreeBSD and on Debian (where /bin is /usr/bin). */
export const PS_PATH = "/bin/ps";

/** C locale: FreeBSD prints the CPU time's decimal point from the locale. Nothing of the plugin's environment. */
const PS_ENV = childEnv({ parsed: true });

export interface PsResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

let spawnCount = 0;

/** How many ps processes this layer has started since the process began (tests check that one run serves all). */
export function psSpawnCount(): number {
  return spawnCount;
}

/**
 * Runs `ps <args>` with stdin from /dev/null and its output captured, killing it after `timeoutMs`.
 * Resolves with whatever it printed and its exit code; rejects when it cannot be spawned or times out.
 */
export async function runPs(args: readonly string[], timeoutMs: number): Promise<PsResult> {
  spawnCount += 1;
  const proc = Bun.spawn([PS_PATH, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: PS_ENV });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (timedOut) throw new Error(`ps ${args.join(" ")} timed out after ${timeoutMs} ms`);
    return { exitCode: proc.signalCode === null ? exitCode : null, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** What a pid is right now, as far as ps can tell. */
export type ProcessProbe = { state: "gone" } | { state: "zombie" } | { state: "live"; args: string };

/**
 * Looks at one pid with `ps -ww -o stat= -o args= -p <pid>` (full-width args on both systems).
 * Rejects when ps itself fails in a way other than "no such process".
 */
export async function probeProcess(pid: number, timeoutMs: number): Promise<ProcessProbe> {
  let result: PsResult;
  try {
    result = await runPs(["-ww", "-o", "stat=", "-o", "args=", "-p", String(pid)], timeoutMs);
  } catch (err) {
    throw new Error(`failed to probe process ${pid}: ${describeError(err)}`, { cause: err });
  }
  const probe = parseProbeOutput(result.stdout);
  if (probe.state === "gone" && result.exitCode !== 0 && result.exitCode !== 1) {
    throw new Error(`failed to probe process ${pid}: ps exited with ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return probe;
}

/** Parses the output of the probe: empty means gone; a state starting with Z means zombie. */
export function parseProbeOutput(stdout: string): ProcessProbe {
  const line = stdout.split("\n").find((l) => l.trim() !== "");
  if (line === undefined) return { state: "gone" };
  const match = /^\s*(\S+)\s*(.*)$/.exec(line);
  if (match === null) return { state: "gone" };
  return probeOf(match[1] as string, match[2] as string);
}

/** What a process listed by ps is, from its state letters (Z: zombie) and its command line. */
export function probeOf(stat: string, args: string): ProcessProbe {
  if (stat.startsWith("Z")) return { state: "zombie" };
  return { state: "live", args };
}
