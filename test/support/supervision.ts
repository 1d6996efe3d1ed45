// Helpers for the supervisor tests: temp state dirs, FIFOs, process states, a stand-in driver that launches a supervisor.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { within } from "./wait.ts";

/** A stand-in driver that launches one supervisor and idles (test/integration/supervisor/fixtures/launcher.ts). */
export const LAUNCHER = join(import.meta.dir, "../integration/supervisor/fixtures/launcher.ts");

/** A fresh temp dir; `cleanup` removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function mkfifo(path: string): string {
  const result = spawnSync("mkfifo", [path]);
  if (result.status !== 0) throw new Error(`mkfifo ${path} failed: ${result.stderr}`);
  return path;
}

/** kill(pid, 0) succeeds (a zombie counts as alive). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process state letter from ps, or undefined when the pid is gone. */
export function processState(pid: number): string | undefined {
  const result = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" });
  const stat = result.stdout.trim();
  return stat === "" ? undefined : stat;
}

/** Kills a process group, ignoring a group that is already gone. */
export function killGroupQuietly(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
}

export interface LauncherRequest {
  stateDir: string;
  taskId: string;
  argv: string[];
  stdoutPath: string;
  stderrPath: string;
}

export interface LaunchedByLauncher {
  launcher: Bun.Subprocess<"ignore", "pipe", "pipe">;
  pid: number;
  bundleDir: string;
  /** The rest of the launcher's stdout and stderr, read to EOF. */
  rest: Promise<{ stdout: string; stderr: string }>;
}

/**
 * Starts a stand-in driver (a child Bun process running fixtures/launcher.ts) with stdout and stderr on pipes
 * we hold, and waits for the line in which it reports the supervisor it launched.
 */
export async function launchViaLauncher(request: LauncherRequest): Promise<LaunchedByLauncher> {
  const launcher = Bun.spawn([process.execPath, LAUNCHER, JSON.stringify(request)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderrText = new Response(launcher.stderr).text();
  const reader = launcher.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  const firstLine = await within(
    "the launcher's report",
    (async () => {
      for (;;) {
        const newline = buffered.indexOf("\n");
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          return line;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`launcher ended without a report; stderr: ${await stderrText}`);
        buffered += decoder.decode(value, { stream: true });
      }
    })(),
  );
  const rest = (async () => {
    let stdout = buffered;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    return { stdout, stderr: await stderrText };
  })();
  const report = JSON.parse(firstLine) as { pid: number; bundleDir: string };
  return { launcher, pid: report.pid, bundleDir: report.bundleDir, rest };
}
