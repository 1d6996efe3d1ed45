// The driver's view of task supervision (driver layer): launching and re-attaching the per-task supervisor,
// and sampling the processes of running tasks. Implemented by src/supervisor/, wired in src/app/; an
// interface here keeps the driver core free of process handling and testable with fakes.
import type { ExitRecord } from "../supervisor/exit-record.ts";

export interface SupervisedTask {
  /** The supervisor's pid; every process of the task lives in its session. */
  pid: number;
  bundleDir: string;
  /** Resolves once with how the supervised argv ended. */
  exited: Promise<ExitRecord>;
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
   * resolves at once with its exit record, or with "unknown" when it left none.
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
