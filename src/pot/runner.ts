// CommandRunner: runs one argv (never a shell string) with a deadline and captures its output (layer 3).

export interface RunOptions {
  /** Kill the process group after this many ms (SIGTERM, then SIGKILL after killGraceMs). 0 or absent: no deadline. */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL on timeout or abort. Default 2000 ms. */
  killGraceMs?: number;
  /** Variables added to (and overriding) the current process environment. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Aborting kills the process group like a timeout does. */
  signal?: AbortSignal;
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
/** After the process exits, how long to wait for pipes still held open by escaped descendants. */
const PIPE_DRAIN_MS = 500;
/** Output kept per stream; the rest is dropped (the head is what parsers need). */
const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;

/**
 * Spawns with Bun in a new session (setsid), so a timeout or abort can signal the whole process group:
 * pot is a shell script whose children (fetch, zfs, jexec) would otherwise keep running and hold the pipes.
 */
export class SpawnRunner implements CommandRunner {
  async run(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    if (argv.length === 0 || argv[0] === undefined || argv[0] === "") throw new Error("failed to spawn: empty argv");
    const startedAt = performance.now();
    let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
    try {
      proc = Bun.spawn({
        cmd: [...argv],
        cwd: options.cwd,
        env: options.env === undefined ? { ...process.env } : { ...process.env, ...options.env },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
        detached: true,
      });
    } catch (err) {
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

    const stdout = collect(proc.stdout);
    const stderr = collect(proc.stderr);
    try {
      await proc.exited;
    } finally {
      if (deadline !== undefined) clearTimeout(deadline);
      if (killTimer !== undefined) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const drainTimer = setTimeout(() => {
      stdout.cancel();
      stderr.cancel();
    }, PIPE_DRAIN_MS);
    const [out, err] = await Promise.all([stdout.text, stderr.text]);
    clearTimeout(drainTimer);
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

interface Collector {
  text: Promise<string>;
  cancel(): void;
}

/** Reads a stream to the end (or until cancelled), keeping at most MAX_CAPTURE_BYTES. */
function collect(stream: ReadableStream<Uint8Array>): Collector {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  const text = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (kept < MAX_CAPTURE_BYTES) {
          const slice = value.subarray(0, MAX_CAPTURE_BYTES - kept);
          chunks.push(slice);
          kept += slice.byteLength;
        }
      }
    } catch {
      // Cancelled or broken pipe: keep what was read.
    }
    return new TextDecoder().decode(Buffer.concat(chunks));
  })();
  return {
    text,
    cancel: () => {
      reader.cancel().catch(() => {});
    },
  };
}
