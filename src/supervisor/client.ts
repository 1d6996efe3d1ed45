// Driver side of the supervisor: launch, attach after a driver restart, exact exit, group signals, removal (layer 4).
//
// A supervisor is the session leader (setsid) of its task: its pid is also the session id and the process
// group id of everything it runs, unless a process leaves the group or session itself.
import { randomUUID } from "node:crypto";
import { open, realpath } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { describeError, log } from "../log/logger.ts";
import { childEnv } from "../support/child-env.ts";
import { isErrno } from "../support/errno.ts";
import { isAlive } from "../support/process-alive.ts";
import { fromChildExit } from "../support/wait-status.ts";
import {
  bundlePath,
  createBundle,
  readExitFile,
  readPidRecord,
  readSpec,
  removeBundle,
  type BundleSpec,
  BUNDLE_VERSION,
} from "./bundle.ts";
import { SupervisorError } from "./errors.ts";
import { isWholeRecord, parseExitRecord, unknown, type ExitRecord } from "./exit-record.ts";
import { pollUntil } from "./poll.ts";
import { type ProcessProbe, probeProcess } from "./ps.ts";
import { SCRIPT_FILE, SUPERVISOR_SCRIPT, supervisorArgv } from "./script.ts";
import { supervisorTimeouts, type SupervisorTimeouts } from "./timeouts.ts";

export interface LaunchSpec {
  /** Plugin state dir; the bundle goes to <stateDir>/tasks/<bundleId>/. */
  stateDir: string;
  /** The task id; determines the bundle id (see bundleIdFor). */
  taskId: string;
  /** The program and its arguments, run without any shell parsing. At least one element. */
  argv: readonly string[];
  /** Where the argv's stdout/stderr go: Nomad's logmon FIFOs, /dev/null, or a file (appended to). */
  stdoutPath: string;
  stderrPath: string;
  /**
   * The directory a task can write into that the stream paths lie in (Nomad's allocation directory): its own
   * symlinks are the operator's and trusted, none below it is. Without it, each path's directory is trusted as
   * it resolves now.
   */
  trustedRoot?: string;
  /** The whole environment of the supervisor and argv; childEnv() when absent, never the driver's own. */
  env?: Readonly<Record<string, string>>;
}

export interface SupervisorOptions {
  timeouts?: Partial<SupervisorTimeouts>;
  /**
   * attach: how the identity probe looks at a pid. Default: one `ps` run per probe. The driver passes the
   * shared sampler's probe (sampler.ts), which answers from the stats tick's table, so recovered tasks add no
   * ps runs of their own.
   */
  probe?: (pid: number) => Promise<ProcessProbe>;
  /**
   * launch: the program written into the bundle as supervise.sh. Default SUPERVISOR_SCRIPT, which is the only
   * one the driver runs; another one lets a test make a supervisor misbehave on purpose (one that never
   * reports ready, say) instead of hoping a real one is slow enough.
   */
  script?: string;
}

/** A running (or already ended) supervised argv, as seen by this driver process. */
export interface SupervisedProcess {
  /** The supervisor's pid, which is also its session id and process group id. */
  readonly pid: number;
  readonly bundleDir: string;
  /**
   * Settles once with how the argv ended; never rejects. "unknown" when the supervisor ended or vanished
   * without a record, or when close() was called first.
   */
  readonly exited: Promise<ExitRecord>;
  /** True once `exited` has settled. */
  readonly hasExited: boolean;
  /**
   * Sends `signal` to the supervisor's process group. The supervisor ignores HUP INT QUIT TERM PIPE USR1 USR2
   * and records how the argv reacted; SIGKILL ends the supervisor too (the exit is then "unknown").
   * Returns false, sending nothing, once `exited` has settled (also after close(): the pid may have been reused
   * since) or when the group no longer exists.
   */
  signalGroup(signal: NodeJS.Signals | number): boolean;
  /** signalGroup("SIGKILL"): forced cleanup of the whole group. */
  kill(): boolean;
  /** Stops watching (attach's poll and watcher). `exited` settles as "unknown" if it had not settled. */
  close(): void;
}

/**
 * Creates the task's bundle and starts its supervisor detached (own session; stdin, stdout and stderr on
 * /dev/null, so it holds none of the driver's pipes), then waits until the supervisor has written
 * supervisor.pid. It never waits for the stdout/stderr destinations: a FIFO without a reader blocks only the
 * supervisor. `exited` comes from waiting on our own child, then reading exit.json.
 *
 * Throws SupervisorError: "already-exists" when the task has a bundle; "failed" when the supervisor
 * cannot be spawned or ends before it is ready; "timed-out" after timeouts.readyMs (the supervisor's group is
 * killed). On a throw nothing is left running and the bundle is removed.
 */
export async function launch(spec: LaunchSpec, options: SupervisorOptions = {}): Promise<SupervisedProcess> {
  const timeouts = supervisorTimeouts(options.timeouts);
  if (spec.argv.length === 0) throw new SupervisorError("failed", "failed to launch supervisor: empty argv");
  const launchToken = randomUUID();
  const bundleSpec: BundleSpec = {
    version: BUNDLE_VERSION,
    taskId: spec.taskId,
    argv: [...spec.argv],
    stdoutPath: spec.stdoutPath,
    stderrPath: spec.stderrPath,
    createdAt: new Date().toISOString(),
    launchToken,
  };
  const [stdoutDir, stderrDir] = await Promise.all([
    physicalDir(spec.stdoutPath, spec.trustedRoot),
    physicalDir(spec.stderrPath, spec.trustedRoot),
  ]);
  const bundleDir = await createBundle(spec.stateDir, bundleSpec, options.script ?? SUPERVISOR_SCRIPT);
  const cmd = supervisorArgv({
    scriptPath: bundlePath(bundleDir, "script"),
    launchToken,
    bundleDir,
    stdoutPath: spec.stdoutPath,
    stderrPath: spec.stderrPath,
    stdoutDir,
    stderrDir,
    argv: spec.argv,
  });

  let proc: Bun.Subprocess<"ignore", "ignore", "ignore">;
  try {
    proc = Bun.spawn(cmd, {
      cwd: "/",
      detached: true,
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
      env: { ...(spec.env ?? childEnv()) },
    });
  } catch (err) {
    await removeBundle(bundleDir).catch(() => {});
    throw new SupervisorError("failed", `failed to launch supervisor: ${describeError(err)}`, {
      bundleDir,
      cause: err,
    });
  }
  const pid = proc.pid;

  const ready = new AbortController();
  const timer = setTimeout(() => ready.abort("timed-out"), timeouts.readyMs);
  void proc.exited.then(() => ready.abort("exited"));
  const readyCheck = async (): Promise<true | undefined> => {
    const record = await readPidRecord(bundleDir);
    return record !== undefined && record.launchToken === launchToken && record.pid === pid ? true : undefined;
  };
  try {
    await pollUntil(bundleDir, readyCheck, { pollMs: timeouts.readyPollMs, signal: ready.signal });
  } catch (err) {
    // It may have written supervisor.pid and ended at once (e.g. its stdout path could not be opened).
    if (err !== "exited" || (await readyCheck().catch(() => undefined)) !== true) {
      if (proc.exitCode === null && proc.signalCode === null) signalGroupOf(pid, "SIGKILL");
      await proc.exited;
      const tail = await logTail(bundleDir);
      await removeBundle(bundleDir).catch(() => {});
      if (err === "timed-out") {
        throw new SupervisorError("timed-out", `failed to launch supervisor: not ready after ${timeouts.readyMs} ms${tail}`, { bundleDir });
      }
      const how = describeChildEnd(proc.exitCode, proc.signalCode);
      throw new SupervisorError("failed", `failed to launch supervisor: it ${how} before it was ready${tail}`, {
        bundleDir,
        cause: err === "exited" ? undefined : err,
      });
    }
  } finally {
    clearTimeout(timer);
  }

  log.debug({ pid, bundle: bundleDir, task_id: spec.taskId }, "supervisor launched");
  const handle = new SupervisorHandle(pid, bundleDir);
  void proc.exited.then(async () => {
    handle.settle(await outcomeAfterEnd(bundleDir, bundleSpec, pid, describeChildEnd(proc.exitCode, proc.signalCode)));
  });
  return handle;
}

/**
 * Re-attaches to a supervisor started by an earlier driver process, which is not our child: we cannot wait for
 * it, only watch its bundle. The pid must be alive, must be the pid in supervisor.pid, and `ps` must show
 * "…/<bundleId>/supervise.sh <launch token>" in its args (a pid reused by another process fails this). `exited`
 * then settles from exit.json, watched through fs.watch plus a poll every timeouts.attachPollMs; liveness is
 * checked each poll with kill(pid, 0), and the identity probe re-runs every timeouts.identityRecheckMs to
 * notice a zombie or a reused pid.
 *
 * An exit already recorded settles `exited` at once, whether or not the supervisor still exists. A supervisor
 * that is gone, or is not ours, without a record settles it as "unknown" — never as exit 0.
 * Throws SupervisorError "not-found" or "corrupt" when the bundle's spec.json is missing or unreadable.
 */
export async function attach(bundleDir: string, expectedPid: number, options: SupervisorOptions = {}): Promise<SupervisedProcess> {
  const timeouts = supervisorTimeouts(options.timeouts);
  const spec = await readSpec(bundleDir);
  const handle = new SupervisorHandle(expectedPid, bundleDir);
  // Only ASCII we wrote ourselves, so ps's escaping of unusual characters (FreeBSD strvis) cannot hide it.
  const signature = `/${basename(bundleDir)}/${SCRIPT_FILE} ${spec.launchToken}`;

  // While the supervisor may still be writing exit.json, a record that is not whole yet counts as none.
  const recorded = async (): Promise<ExitRecord | undefined> => {
    const file = await readExitFile(bundleDir);
    return file === undefined || !isWholeRecord(file.text) ? undefined : parseExitRecord(file.text, spec, file.writtenAt);
  };
  // Called once the supervisor is known to be gone or not ours: whatever it recorded is final, whole or not.
  const goneWith = async (why: string): Promise<ExitRecord> => {
    const file = await readExitFile(bundleDir);
    if (file === undefined) return unknown(`supervisor (pid ${expectedPid}) ${why} and left no exit record`);
    return parseExitRecord(file.text, spec, file.writtenAt);
  };
  const identity = async (): Promise<string | undefined> => {
    const probe = await (options.probe ?? ((pid: number) => probeProcess(pid, timeouts.psMs)))(expectedPid);
    if (probe.state === "gone") return "is gone";
    if (probe.state === "zombie") return "has ended (zombie)";
    if (!probe.args.includes(signature)) {
      return `is not this bundle's supervisor (pid now runs: ${probe.args.slice(0, 200)})`;
    }
    return undefined;
  };

  const early = await recorded();
  if (early !== undefined) {
    handle.settle(early);
    return handle;
  }
  const pidRecord = await readPidRecord(bundleDir);
  if (pidRecord === undefined || pidRecord.pid !== expectedPid || pidRecord.launchToken !== spec.launchToken) {
    const found = pidRecord === undefined ? "no valid supervisor.pid" : `supervisor.pid naming pid ${pidRecord.pid}`;
    handle.settle(await goneWith(`could not be confirmed (${found})`));
    return handle;
  }
  const mismatch = await identity().catch((err: unknown) => {
    // ps failing is not evidence that the supervisor is gone; keep watching and probe again later.
    log.warn({ pid: expectedPid, bundle: bundleDir, error: err }, "failed to verify supervisor identity");
    return undefined;
  });
  if (mismatch !== undefined) {
    handle.settle(await goneWith(mismatch));
    return handle;
  }

  log.debug({ pid: expectedPid, bundle: bundleDir, task_id: spec.taskId }, "attached to supervisor");
  let lastIdentityCheck = Date.now();
  const check = async (): Promise<ExitRecord | undefined> => {
    const record = await recorded();
    if (record !== undefined) return record;
    if (!isAlive(expectedPid)) return goneWith("is gone");
    if (Date.now() - lastIdentityCheck >= timeouts.identityRecheckMs) {
      lastIdentityCheck = Date.now();
      try {
        const why = await identity();
        if (why !== undefined) return goneWith(why);
      } catch (err) {
        log.warn({ pid: expectedPid, bundle: bundleDir, error: err }, "failed to verify supervisor identity");
      }
    }
    return undefined;
  };
  const watching = new AbortController();
  handle.onClose(() => watching.abort("closed"));
  pollUntil(bundleDir, check, { pollMs: timeouts.attachPollMs, signal: watching.signal }).then(
    (record) => handle.settle(record),
    (err: unknown) => {
      if (err !== "closed") handle.settle(unknown(`failed to watch supervisor bundle: ${describeError(err)}`));
    },
  );
  return handle;
}

/**
 * Sends `signal` to the process group `pid` (a supervisor's pid is its group id). No identity check: use the
 * SupervisedProcess methods when a handle exists. Returns false when no such group exists.
 */
export function signalGroupOf(pid: number, signal: NodeJS.Signals | number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new RangeError(`refusing to signal process group ${pid}`);
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    if (isErrno(err, "ESRCH")) return false;
    throw err;
  }
}

/** Deletes a bundle (atomically; idempotent). Kill the supervisor first: a live one can no longer record. */
export async function remove(bundleDir: string): Promise<void> {
  await removeBundle(bundleDir);
}

class SupervisorHandle implements SupervisedProcess {
  readonly exited: Promise<ExitRecord>;
  #settled = false;
  #resolve!: (record: ExitRecord) => void;
  #onClose: (() => void) | undefined;

  constructor(
    readonly pid: number,
    readonly bundleDir: string,
  ) {
    this.exited = new Promise<ExitRecord>((resolve) => {
      this.#resolve = resolve;
    });
  }

  get hasExited(): boolean {
    return this.#settled;
  }

  settle(record: ExitRecord): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#onClose?.();
    this.#onClose = undefined;
    log.debug({ pid: this.pid, bundle: this.bundleDir, exit: record }, "supervised process ended");
    this.#resolve(record);
  }

  onClose(fn: () => void): void {
    this.#onClose = fn;
  }

  signalGroup(signal: NodeJS.Signals | number): boolean {
    if (this.#settled) return false;
    return signalGroupOf(this.pid, signal);
  }

  kill(): boolean {
    return this.signalGroup("SIGKILL");
  }

  close(): void {
    this.settle(unknown(`stopped watching supervisor (pid ${this.pid}) before its exit was known`));
  }
}

/**
 * Where the directory of a stream path must physically be for the supervisor to open it: below `trustedRoot`,
 * the root's real path plus the same components (so a symlink a task planted below it never matches);
 * elsewhere the directory as it resolves now. A directory that does not resolve is returned as written (the
 * supervisor then fails to enter it and records open-stdout/open-stderr).
 */
export async function physicalDir(path: string, trustedRoot?: string): Promise<string> {
  const dir = dirname(path);
  const root = trustedRoot?.replace(/(.)\/+$/, "$1");
  if (root !== undefined && (dir === root || dir.startsWith(root === "/" ? "/" : `${root}/`))) {
    const real = await realpath(root).catch(() => root);
    return `${real}${dir.slice(root.length)}`.replace(/^\/\//, "/");
  }
  return realpath(dir).catch(() => dir);
}

/** How it ended, for our own child supervisor once it has been reaped. */
async function outcomeAfterEnd(bundleDir: string, spec: BundleSpec, pid: number, how: string): Promise<ExitRecord> {
  try {
    const file = await readExitFile(bundleDir);
    if (file !== undefined) return parseExitRecord(file.text, spec, file.writtenAt);
    return unknown(`supervisor (pid ${pid}) ${how} without writing an exit record${await logTail(bundleDir)}`);
  } catch (err) {
    return unknown(`failed to read exit record of supervisor (pid ${pid}): ${describeError(err)}`);
  }
}

function describeChildEnd(exitCode: number | null, signalCode: string | number | null): string {
  if (signalCode !== null) return `was killed by ${typeof signalCode === "number" ? `signal ${signalCode}` : signalCode}`;
  const status = fromChildExit(exitCode, signalCode);
  return `exited with status ${status.exitCode}`;
}

const LOG_TAIL_BYTES = 1024;

/** "; supervisor.log: <last lines>", or "" when there is no log. */
async function logTail(bundleDir: string): Promise<string> {
  try {
    const handle = await open(bundlePath(bundleDir, "log"), "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, LOG_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const text = buffer.toString("utf8").trim();
      return text === "" ? "" : `; supervisor.log: ${text.split("\n").slice(-5).join(" | ")}`;
    } finally {
      await handle.close();
    }
  } catch {
    return "";
  }
}
