// CommandRunner: runs one argv (never a shell string) with a deadline and captures its output (layer 3).
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv } from "../support/child-env.ts";

export interface RunOptions {
  /** Kill the process group after this many ms (SIGTERM, then SIGKILL after killGraceMs). 0 or absent: no deadline. */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL on timeout or abort. Default 2000 ms. */
  killGraceMs?: number;
  /**
   * The child's whole environment; childEnv({ parsed: true }) when absent. Never the plugin's own (it holds
   * the agent's secrets; docs/security.md).
   */
  env?: Readonly<Record<string, string>>;
  /** Working directory; absent or undefined: the plugin's own. */
  cwd?: string | undefined;
  /** Aborting kills the process group like a timeout does. */
  signal?: AbortSignal | undefined;
}

export interface CommandResult {
  argv: readonly string[];
  /** Exit status; null when the process ended by a signal. */
  exitCode: number | null;
  /** Name of the signal that ended the process, if any. */
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The deadline passed and the process group was killed. */
  timedOut: boolean;
  /** options.signal aborted and the process group was killed. */
  aborted: boolean;
}

export interface CommandRunner {
  /**
   * Runs argv[0] with the remaining elements as its arguments, stdin from /dev/null. Resolves once the process
   * has exited and its output is collected, whatever the exit status. Rejects only when the process cannot be
   * spawned (the Error carries the spawn failure as its cause).
   */
  run(argv: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

const DEFAULT_KILL_GRACE_MS = 2_000;
/** Output kept per stream; the rest is dropped (the head is what parsers need). */
const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;

/**
 * Spawns with Bun in a new session (setsid), so a timeout or abort can signal the whole process group:
 * pot is a shell script whose children (fetch, zfs, jexec) would otherwise keep running.
 *
 * Output goes to unlinked temporary files, not pipes: pot is a shell script that dies of SIGPIPE at its next
 * `echo` once the reading end of a pipe is gone, so a plugin killed mid-command (SIGKILL during `pot stop` or
 * `pot prepare`) would leave pot half way through. A file has no reader to lose; the command finishes on its
 * own, and a descendant that escapes the group cannot hold the result back either.
 */
export class SpawnRunner implements CommandRunner {
  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (argv.length === 0 || argv[0] === undefined || argv[0] === "") throw new Error("failed to spawn: empty argv");
    const startedAt = performance.now();
    const stdout = captureFile();
    const stderr = captureFile();
    let proc: Bun.Subprocess;
    try {
      proc = Bun.spawn({
        cmd: [...argv],
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        env: { ...(options.env ?? childEnv({ parsed: true })) },
        stdin: "ignore",
        stdout: stdout.fd,
        stderr: stderr.fd,
        detached: true,
      });
    } catch (err) {
      stdout.close();
      stderr.close();
      throw new Error(`failed to spawn ${argv[0]}`, { cause: err });
    }

    let timedOut = false;
    let aborted = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const terminate = () => {
      signalGroup(proc.pid, "SIGTERM");
      killTimer = setTimeout(() => signalGroup(proc.pid, "SIGKILL"), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    const deadline =
      options.timeoutMs !== undefined && options.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            terminate();
          }, options.timeoutMs)
        : undefined;
    const onAbort = () => {
      aborted = true;
      terminate();
    };
    if (options.signal?.aborted === true) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });

    try {
      await proc.exited;
    } finally {
      if (deadline !== undefined) clearTimeout(deadline);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const out = stdout.read();
    const err = stderr.read();
    stdout.close();
    stderr.close();
    const signalCode = proc.signalCode;
    return {
      argv,
      exitCode: proc.exitCode,
      signal: signalCode === null ? null : String(signalCode),
      stdout: out,
      stderr: err,
      durationMs: Math.round(performance.now() - startedAt),
      timedOut,
      aborted,
    };
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

interface Capture {
  /** The descriptor handed to the child as its stdout or stderr. */
  fd: number;
  /** What was written so far, at most MAX_CAPTURE_BYTES (the head is what parsers need). */
  read(): string;
  close(): void;
}

/**
 * A temporary file that exists only as an open descriptor: created directly in the temp dir under an
 * unpredictable name, exclusively (never an existing file or a planted symlink), and unlinked at once, so
 * nothing is left in the temp dir even when the plugin is SIGKILLed a moment later.
 */
function captureFile(): Capture {
  const path = join(tmpdir(), `pot-task-driver-${randomBytes(12).toString("hex")}`);
  const fd = openSync(path, "wx+", 0o600);
  unlinkSync(path);
  let open = true;
  return {
    fd,
    read: () => {
      const size = Math.min(fstatSync(fd).size, MAX_CAPTURE_BYTES);
      const buffer = Buffer.alloc(size);
      let offset = 0;
      while (offset < size) {
        const n = readSync(fd, buffer, offset, size - offset, offset);
        if (n <= 0) break;
        offset += n;
      }
      return new TextDecoder().decode(buffer.subarray(0, offset));
    },
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
