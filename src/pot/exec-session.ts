// Interactive `pot exec` sessions (layer 3): one process per `nomad alloc exec`, with a pseudo-terminal when
// asked for (resizable), or plain pipes; stdin is fed by the caller. The argv comes from PotCli.execArgv; the
// driver starts sessions through its ExecSessions port (src/driver/ports.ts), which src/app/ binds to this.
import { fromChildExit } from "../support/wait-status.ts";

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
        return fromChildExit(proc.exitCode, proc.signalCode ?? null);
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
    exited: Promise.all([proc.exited, drained]).then(() => fromChildExit(proc.exitCode, proc.signalCode ?? null)),
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}
