// Counting the processes a running process starts during a window, with perf(1)'s fork and exec tracepoints.
//
// perf attaches to the existing threads of the pid with sched:sched_process_fork and sched:sched_process_exec
// off; the window is opened and closed through perf's control FIFO, so it lines up exactly with other readings.
// Processes created by the pid inherit the events; processes that existed before (e.g. supervisors) are not
// counted. A process counts once, under the first program it executed; a child a shell forks without
// executing anything (a subshell) counts as a subshell; forks that never execute under anything else are
// threads and are not counted.
import { open } from "node:fs/promises";
import { join } from "node:path";

export interface ExecTrace {
  /** Distinct new processes that called execve, by the program they executed first. */
  byProgram: Map<string, number>;
  /** Children a shell forked that executed nothing (subshells, pipelines' builtin sides). */
  subshells: number;
  /** byProgram's processes plus the subshells. */
  processes: number;
  /** Processes left out because they ran under a process of an opaque program (see finish()). */
  hidden: number;
}

export interface TraceOptions {
  /**
   * Programs whose descendants are not counted one by one (only in `hidden`): e.g. the pot simulator, whose
   * own children say nothing about real pot's.
   */
  opaque?: (program: string) => boolean;
}

export function perfAvailable(): boolean {
  const probe = Bun.spawnSync(["perf", "--version"], { stdout: "ignore", stderr: "ignore" });
  return probe.success;
}

export interface ExecTracer {
  /** Turns recording on; resolves once perf has acknowledged. */
  enable(): Promise<void>;
  /** Turns recording off; resolves once perf has acknowledged. */
  disable(): Promise<void>;
  /** Ends perf and returns what was recorded while enabled. */
  finish(options?: TraceOptions): Promise<ExecTrace>;
  /** Kills perf at once (cleanup after an error); idempotent. */
  kill(): void;
}

const COMMAND_TIMEOUT_MS = 30_000;

/** Attaches perf to `pid` with recording off; its FIFOs and data file go into `dir`. */
export async function attachExecTracer(pid: number, dir: string): Promise<ExecTracer> {
  const ctlPath = join(dir, "perf-ctl.fifo");
  const ackPath = join(dir, "perf-ack.fifo");
  const data = join(dir, "exec.perf.data");
  for (const fifo of [ctlPath, ackPath]) {
    if (!Bun.spawnSync(["mkfifo", fifo]).success) throw new Error(`mkfifo ${fifo} failed`);
  }
  const perf = Bun.spawn(
    [
      "perf",
      "record",
      "-q",
      "-D",
      "-1",
      "--control",
      `fifo:${ctlPath},${ackPath}`,
      "-e",
      "sched:sched_process_fork",
      "-e",
      "sched:sched_process_exec",
      "-p",
      String(pid),
      "-o",
      data,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  const stderr = new Response(perf.stderr).text();
  const kill = (): void => {
    if (perf.exitCode === null && perf.signalCode === null) perf.kill("SIGKILL");
  };
  const failed = perf.exited.then(async (code) => {
    throw new Error(`perf record exited (${code}): ${(await stderr).trim()}`);
  });
  failed.catch(() => {});
  const withinDeadline = <T>(what: string, promise: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`perf did not answer ${what} within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
    });
    return Promise.race([promise, failed, deadline]).finally(() => clearTimeout(timer));
  };

  try {
    // perf holds both FIFOs open itself, so these opens return once perf is up.
    const ctl = await withinDeadline("start-up", open(ctlPath, "w"));
    const ack = await withinDeadline("start-up", open(ackPath, "r"));
    const command = async (word: string): Promise<void> => {
      await ctl.write(`${word}\n`);
      const buffer = Buffer.alloc(16);
      const { bytesRead } = await withinDeadline(word, ack.read(buffer, 0, buffer.length, null));
      // perf sends "ack\n" followed by a NUL byte.
      const reply = buffer.subarray(0, bytesRead).toString().replaceAll("\0", "").trim();
      if (reply !== "ack") throw new Error(`perf answered ${JSON.stringify(reply)} to ${word}`);
    };
    return {
      enable: () => command("enable"),
      disable: () => command("disable"),
      finish: async (options: TraceOptions = {}) => {
        await ctl.close();
        await ack.close();
        perf.kill("SIGINT");
        await perf.exited;
        const script = Bun.spawnSync(["perf", "script", "-i", data], { stdout: "pipe", stderr: "pipe" });
        if (!script.success) throw new Error(`perf script failed: ${script.stderr.toString().trim()}`);
        return summarize(script.stdout.toString(), options);
      },
      kill,
    };
  } catch (err) {
    kill();
    throw err;
  }
}

/** Reads `perf script` output of the two tracepoints into counts per program (see the file comment). */
export function summarize(script: string, options: TraceOptions = {}): ExecTrace {
  const parent = new Map<number, number>();
  const forkedBy = new Map<number, string>();
  const firstProgram = new Map<number, string>();
  for (const line of script.split("\n")) {
    const fork = /sched_process_fork: comm=(.*?) pid=(\d+) child_comm=.*? child_pid=(\d+)/.exec(line);
    if (fork !== null) {
      parent.set(Number(fork[3]), Number(fork[2]));
      forkedBy.set(Number(fork[3]), fork[1] as string);
      continue;
    }
    const exec = /filename=(\S+) pid=(\d+)/.exec(line);
    if (exec === null) continue;
    const child = Number(exec[2]);
    if (!firstProgram.has(child)) firstProgram.set(child, exec[1] as string);
  }
  const opaque = options.opaque ?? (() => false);
  const underOpaque = (pid: number): boolean => {
    for (let at = parent.get(pid), depth = 0; at !== undefined && depth < 64; at = parent.get(at), depth++) {
      const program = firstProgram.get(at);
      if (program !== undefined && opaque(program)) return true;
    }
    return false;
  };
  const byProgram = new Map<string, number>();
  let subshells = 0;
  let hidden = 0;
  for (const [pid, program] of firstProgram) {
    if (underOpaque(pid)) hidden += 1;
    else byProgram.set(program, (byProgram.get(program) ?? 0) + 1);
  }
  for (const [pid, by] of forkedBy) {
    if (firstProgram.has(pid) || !/^(sh|dash|bash)$/.test(by)) continue;
    if (underOpaque(pid)) hidden += 1;
    else subshells += 1;
  }
  const executed = [...byProgram.values()].reduce((a, b) => a + b, 0);
  return { byProgram, subshells, processes: executed + subshells, hidden };
}
