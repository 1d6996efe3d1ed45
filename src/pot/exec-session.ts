// Interactive `pot exec` sessions (layer 3): one process per `nomad alloc exec`, with a pseudo-terminal when
// asked for (resizable), or plain pipes; stdin is fed by the caller. The argv comes from PotCli.execArgv; the
// driver starts sessions through its ExecSessions port (src/driver/ports.ts), which src/app/ binds to this.
import type { Subprocess } from "bun";
import { exitOfSignal } from "../support/signals.ts";

export interface ExecSessionOptions {
  tty: boolean;
  /** The whole environment of the pot exec process (PotCli.env); nothing else is inherited. */
  env: Readonly<Record<string, string>>;
  rows?: number;
  cols?: number;
  onStdout: (data: Uint8Array) => void;
  /** Not called in tty mode: a terminal has one output stream. */
  onStderr: (data: Uint8Array) => void;
}

export interface ExecSession {
  write(data: Uint8Array): void;
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  kill(): void;
  /** Resolves with the exit code (128+N when killed by signal N) once the process and its output are done. */
  exited: Promise<{ exitCode: number; signal: number }>;
}

export function startExecSession(argv: readonly string[], options: ExecSessionOptions): ExecSession {
  if (options.tty) {
    let terminalClosed = false;
    const proc = Bun.spawn([...argv], {
      env: { ...options.env },
      terminal: {
        rows: options.rows && options.rows > 0 ? options.rows : 24,
        cols: options.cols && options.cols > 0 ? options.cols : 80,
        data: (_terminal, data: Uint8Array) => options.onStdout(data),
      },
    });
    const terminal = proc.terminal;
    return {
      write: (data) => {
        if (!terminalClosed) terminal?.write(data);
      },
      // A terminal has no half-close: send EOF (^D) the way a user at a keyboard would.
      closeStdin: () => {
        if (!terminalClosed) terminal?.write("\x04");
      },
      resize: (rows, cols) => {
        if (!terminalClosed && rows > 0 && cols > 0) terminal?.resize(cols, rows);
      },
      kill: () => proc.kill("SIGKILL"),
      exited: proc.exited.then(() => {
        terminalClosed = true;
        terminal?.close();
        return exitOf(proc);
      }),
    };
  }
  // A process group of its own: pot exec does not pass signals on to the command it runs, so ending the
  // session (the client went away) must signal the whole group or the command outlives it.
  const proc = Bun.spawn([...argv], { env: { ...options.env }, stdin: "pipe", stdout: "pipe", stderr: "pipe", detached: true });
  const pump = async (stream: ReadableStream<Uint8Array>, sink: (d: Uint8Array) => void): Promise<void> => {
    for await (const chunk of stream) sink(chunk);
  };
  const drained = Promise.all([pump(proc.stdout, options.onStdout), pump(proc.stderr, options.onStderr)]);
  let stdinOpen = true;
  return {
    write: (data) => {
      if (stdinOpen) {
        proc.stdin.write(data);
        void proc.stdin.flush();
      }
    },
    closeStdin: () => {
      if (stdinOpen) {
        stdinOpen = false;
        void proc.stdin.end();
      }
    },
    resize: () => {},
    kill: () => killGroup(proc.pid),
    exited: Promise.all([proc.exited, drained]).then(() => exitOf(proc)),
  };
}

/**
 * A signal death is reported as 128 + its number on this host, also for signals Bun has no name for (it gives
 * their number); a signal the host cannot number at all is exit code 255, never 128 or 0.
 */
function exitOf(proc: Subprocess): { exitCode: number; signal: number } {
  const code: string | number | null = proc.signalCode;
  if (code !== null && code !== undefined) return exitOfSignal(code);
  return { exitCode: proc.exitCode ?? 1, signal: 0 };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}
