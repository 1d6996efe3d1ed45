// The driver's ports (driver layer): the interfaces through which the driver core reaches processes. Pot
// operations (PotCli in src/pot/), interactive exec sessions (src/pot/exec-session.ts), task supervision and the
// usage sampler (src/supervisor/, through src/app/supervision-adapter.ts). The concrete classes satisfy these shapes and src/app/ connects them, so the
// driver core holds no process handling of its own and is testable with fakes.
import type { ExecSession, ExecSessionOptions } from "../pot/exec-session.ts";
import type { CopyInOptions, ExecOptions, HostEntry, MountInOptions, PrepareOptions, RssLimits, SignalOptions } from "../pot/argv.ts";
import type { PotAttributeName } from "../pot/attributes.ts";
import type { LastRunStats, PotVersion } from "../pot/parse.ts";
import type { CallOptions, DestroyOutcome, ExecResult, PrepareResult, StartProbe, StopOutcome } from "../pot/pot-cli.ts";
import type { PotStartExit } from "./task-exit.ts";

/**
 * The pot verbs the driver runs, for one pot executable and environment (PotCli). Every call is one `pot`
 * process that returns parsed output or throws a PotError.
 */
export interface PotOperations {
  /** The whole environment of every pot process (also of interactive exec sessions). */
  readonly env: Readonly<Record<string, string>>;
  version(options?: CallOptions): Promise<PotVersion>;
  prepare(prepare: PrepareOptions, options?: CallOptions): Promise<PrepareResult>;
  copyIn(potName: string, copy: CopyInOptions, options?: CallOptions): Promise<void>;
  mountIn(potName: string, mount: MountInOptions, options?: CallOptions): Promise<void>;
  setAttr(potName: string, attribute: PotAttributeName, value: string | number | boolean, options?: CallOptions): Promise<void>;
  setCmd(potName: string, command: string, options?: CallOptions): Promise<void>;
  setEnv(potName: string, env: Readonly<Record<string, string>>, options?: CallOptions): Promise<void>;
  setHosts(potName: string, hosts: readonly HostEntry[], options?: CallOptions): Promise<void>;
  setRss(potName: string, limits: RssLimits, options?: CallOptions): Promise<void>;
  jailAddress(potName: string, options?: CallOptions): Promise<string | undefined>;
  exists(potName: string, options?: CallOptions): Promise<boolean>;
  bridges(options?: CallOptions): Promise<string[]>;
  fsRoot(options?: CallOptions): Promise<string>;
  signal(potName: string, signal: string, signalOptions?: SignalOptions, options?: CallOptions): Promise<void>;
  exec(potName: string, command: readonly string[], execOptions?: ExecOptions, options?: CallOptions): Promise<ExecResult>;
  /** The argv of `pot exec` for an interactive session (throws a PotError of kind invalid-argument on bad input). */
  execArgv(potName: string, command: readonly string[], execOptions?: ExecOptions): string[];
  stop(potName: string, options?: CallOptions): Promise<StopOutcome>;
  /** `pot set-status`: 0 done, 1 not allowed from the current status, 2 already in it. */
  setStatus(potName: string, status: "doa" | "stopped", options?: CallOptions): Promise<0 | 1 | 2>;
  destroy(potName: string, destroyOptions?: { force?: boolean }, options?: CallOptions): Promise<DestroyOutcome>;
  lastRunStats(potName: string, options?: CallOptions): Promise<LastRunStats>;
  /** How the driver learns that `pot start` has marked the pot started. */
  startProbe(potName: string, sinceMs?: number): Promise<StartProbe>;
  /** The argv of `pot start`, run by the task's supervisor. */
  startArgv(potName: string): string[];
}

/** The terminal and the output sinks of an interactive exec, as its caller (Nomad's exec stream) gives them. */
export type ExecSessionIo = Omit<ExecSessionOptions, "env">;

/** A running interactive exec (pot/exec-session.ts): its caller writes stdin, resizes or kills it, and learns the exit. */
export type { ExecSession };

export interface ExecSessions {
  /** Starts `argv` (a `pot exec`) with exactly `env` as its environment. */
  start(argv: readonly string[], options: ExecSessionOptions): ExecSession;
}

export interface SupervisedTask {
  /** The supervisor's pid; every process of the task lives in its session. */
  pid: number;
  bundleDir: string;
  /** Resolves once with how the supervised argv (`pot start`) ended; never rejects. */
  exited: Promise<PotStartExit>;
  /** SIGKILLs the supervisor's whole process group, if it is still this task's supervisor (last resort). */
  kill(): void;
}

export interface LaunchRequest {
  stateDir: string;
  taskId: string;
  argv: readonly string[];
  stdoutPath: string;
  stderrPath: string;
  /** The allocation directory: the stream paths lie in it, and nothing below it is trusted (a task writes there). */
  trustedRoot: string;
  /** The whole environment of the supervisor and of `pot start` (which the task inherits): see childEnv. */
  env: Readonly<Record<string, string>>;
}

export interface Supervision {
  /** Writes the task's bundle and starts its detached supervisor. */
  launch(request: LaunchRequest): Promise<SupervisedTask>;
  /**
   * Re-attaches to a supervisor started by an earlier plugin process. When the supervisor is gone, `exited`
   * resolves at once with how its argv ended, or with "unknown" when it left no record.
   */
  attach(bundleDir: string, pid: number): Promise<SupervisedTask>;
  /** Whether a bundle directory exists for the task. */
  bundleExists(bundleDir: string): Promise<boolean>;
  /** The bundle directory a task id maps to. */
  bundleDirFor(stateDir: string, taskId: string): string;
  /** Removes a bundle; removing a missing bundle is not an error. */
  remove(bundleDir: string): Promise<void>;
}

/** One sample of a task's processes. */
export interface ProcessUsage {
  rssBytes: number;
  /** Accumulated user+system CPU time of the task's processes, seconds. */
  cpuSeconds: number;
  /** CPU use since the previous sample, percent summed over cores (may exceed 100). */
  cpuPercent: number;
}

export interface UsageSampler {
  /**
   * Calls `listener` once per interval with the usage of the session `pid` leads; one sampling run serves
   * every subscriber of the same interval. Returns the unsubscribe function.
   */
  subscribe(pid: number, intervalMs: number, listener: (usage: ProcessUsage | undefined, at: Date) => void): () => void;
}
