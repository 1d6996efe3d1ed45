// PotDriver (driver layer): the driver core behind the Driver and BasePlugin services; one method per RPC.
// Domain types only: no protobuf and no process handling of its own (pot/ runs pot, supervision runs tasks).
import { access, constants } from "node:fs/promises";
import { describeError, log } from "../log/logger.ts";
import type { ExecResult } from "../pot/pot-cli.ts";
import { isValidEnvName, isValidEnvValue } from "../pot/env-vars.ts";
import { isPotError } from "../pot/errors.ts";
import { parseTaskId, potNameForTask } from "../pot/naming.ts";
import { KindedError } from "../support/error-kinds.ts";
import { fromChildExit } from "../support/wait-status.ts";
import { VERSION } from "../version.ts";
import { CAPABILITIES, type DriverCapabilities } from "./capabilities.ts";
import { formatConfigIssues, type SpecNode } from "./config-schema.ts";
import { decodeDriverState, DRIVER_STATE_VERSION, encodeDriverState } from "./driver-state.ts";
import { destroyPot } from "./destroy-pot.ts";
import { DriverError } from "./errors.ts";
import { TaskEventBus } from "./events.ts";
import { computeFingerprint, type Fingerprint } from "./fingerprint.ts";
import { switchUserArgv } from "./jail-user.ts";
import { defaultPluginConfig, pluginConfigSpec, type PluginConfig, validatePluginConfig } from "./plugin-config.ts";
import { DEFAULT_KILL_SIGNAL, normalizeSignal } from "./signals.ts";
import { PotLockQueue } from "./pot-lock-queue.ts";
import { DEFAULT_PREPARE_TIMEOUT_MS, TaskStarter } from "./start-task.ts";
import { stillStarting, untilStarted } from "./start-readiness.ts";
import { potDestroyDeadlineMs, potStopDeadlineMs } from "./stop-deadline.ts";
import type {
  ExecSession,
  ExecSessionIo,
  ExecSessions,
  PotOperations,
  ProcessUsage,
  SupervisedTask,
  Supervision,
  UsageSampler,
} from "./ports.ts";
import { resolveOutcome, type TaskOutcome } from "./task-exit.ts";
import { taskConfigSpec } from "./task-config.ts";
import { TaskHandle, type TaskHandleInit, type TaskStatus } from "./task-handle.ts";
import type { TaskSpec } from "./task-spec.ts";
import { TaskStore } from "./task-store.ts";

/** The job-facing driver name (`driver = "pot"`), independent of the binary's file name. */
export const DRIVER_NAME = "pot";

/** How long StopTask waits for `pot start` to end once the jail is down or pot is already stopping it. */
const STOP_GRACE_MS = 30_000;

/** What Nomad tells a plugin about the agent in SetConfig (absent during the loader's validation pass). */
export interface AgentInfo {
  /** Average core speed from the agent's topology; 0 when it sent none. */
  mhzPerCore: number;
}

export interface PotDriverDeps {
  /** MHz of one host core, for Nomad's CPU "ticks" when the agent sends no topology. */
  mhzPerCore: number;
  /**
   * A pot command layer for the configured pot executable; `env` (PATH from the plugin config) goes into the
   * environment of every pot process.
   */
  pot: (potPath: string, env: Readonly<Record<string, string>>) => PotOperations;
  supervision: Supervision;
  sampler: UsageSampler;
  /** Runs the interactive `pot exec` of ExecTaskStreaming. */
  execSessions: ExecSessions;
  /** Logical CPUs of the host. */
  hostCpus: number;
  /** Host facts for node attributes (racct, VIMAGE, ZFS); absent keys are unknown. */
  hostFacts?: () => Promise<{ racct?: boolean; vimage?: boolean; zfs?: boolean }>;
  /** Called whenever the last tracked task is destroyed (src/app/ uses it to return memory to the system). */
  onIdle?: () => void;
  /** Called after each task started (src/app/ uses it to return a burst of starts' garbage once it is over). */
  onStarted?: () => void;
  /** How long to wait for the task after `pot stop` before killing its supervisor; default STOP_GRACE_MS. */
  stopGraceMs?: number;
  /** Deadline of `pot prepare`; default DEFAULT_PREPARE_TIMEOUT_MS (15 min). */
  prepareTimeoutMs?: number;
}

export interface StartedTask {
  handleVersion: number;
  driverState: Uint8Array;
  network?: { portMap: Record<string, number>; address: string };
}

export interface ExecOutput {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
  signal: number;
}

export class PotDriver {
  readonly name = DRIVER_NAME;
  readonly version = VERSION;
  readonly events = new TaskEventBus();
  private config: PluginConfig = defaultPluginConfig();
  private readonly tasks = new TaskStore();
  private coreMhz = 0;
  /** One queue for every call that takes pot's global lock, so their deadlines start when pot can run them. */
  private readonly lockQueue = new PotLockQueue();
  private readonly starter: TaskStarter;

  constructor(private readonly deps: PotDriverDeps) {
    this.starter = new TaskStarter({
      config: () => this.config,
      pot: () => this.pot(),
      supervision: deps.supervision,
      events: this.events,
      hostCpus: deps.hostCpus,
      prepareTimeoutMs: deps.prepareTimeoutMs ?? DEFAULT_PREPARE_TIMEOUT_MS,
      lockQueue: this.lockQueue,
    });
  }

  pluginConfigSpec(): SpecNode {
    return pluginConfigSpec();
  }

  taskConfigSpec(): SpecNode {
    return taskConfigSpec();
  }

  /**
   * Validates and adopts the agent's plugin config. Called by the loader's validation process (twice, without
   * agent info) and by the serving process; side-effect free apart from remembering the config.
   */
  setConfig(decoded: unknown, agent: AgentInfo): void {
    const result = validatePluginConfig(decoded);
    if (!result.ok) {
      throw new DriverError("invalid-config", `invalid plugin config: ${formatConfigIssues(result.issues)}`);
    }
    this.config = result.config;
    log.level = result.config.logLevel;
    if (agent.mhzPerCore > 0) this.coreMhz = agent.mhzPerCore;
  }

  /** MHz of one core: from the agent's topology when it sent one, else from the host. */
  mhzPerCore(): number {
    return this.coreMhz > 0 ? this.coreMhz : this.deps.mhzPerCore;
  }

  pluginConfig(): PluginConfig {
    return this.config;
  }

  capabilities(): DriverCapabilities {
    return CAPABILITIES;
  }

  fingerprintPeriodMs(): number {
    return this.config.fingerprintPeriodMs;
  }

  fingerprint(): Promise<Fingerprint> {
    const { enabled, potPath } = this.config;
    return computeFingerprint({
      enabled,
      potPath,
      driverVersion: this.version,
      potPresent: () => isExecutable(potPath),
      potVersion: async () => (await this.pot().version()).text,
      hostFacts: async () => {
        const facts = (await this.deps.hostFacts?.()) ?? {};
        const attributes: Record<string, boolean> = {};
        for (const [name, value] of Object.entries(facts)) {
          if (typeof value === "boolean") attributes[`driver.pot.${name}`] = value;
        }
        return attributes;
      },
    });
  }

  private pot(): PotOperations {
    return this.deps.pot(this.config.potPath, { PATH: this.config.childPath });
  }

  /**
   * Starts a task: validates, prepares the pot, configures it and launches its supervisor. On any failure after
   * the pot exists, the pot is destroyed before the error is returned. A task id already known is an error.
   */
  async startTask(task: TaskSpec, driverConfig: unknown): Promise<StartedTask> {
    if (this.tasks.get(task.taskId)) {
      throw new DriverError("already-exists", `task with ID ${JSON.stringify(task.taskId)} already started`);
    }
    const started = await this.starter.start(task, driverConfig);
    this.adopt({ taskName: task.taskName, allocId: task.allocId, state: started.state, env: task.env, supervised: started.supervised });
    this.deps.onStarted?.();
    return {
      handleVersion: DRIVER_STATE_VERSION,
      driverState: encodeDriverState(started.state),
      ...(started.state.network ? { network: started.state.network } : {}),
    };
  }

  /**
   * Tracks a started or recovered task: its handle joins the store, and is settled once the supervisor reports
   * the end of `pot start`, with the task's real exit.
   */
  private adopt(init: TaskHandleInit): void {
    const handle = new TaskHandle(init);
    this.tasks.set(handle);
    const taskLog = log.child({ task_id: handle.taskId, pot: handle.state.potName });
    void handle.supervised.exited
      .then((record) => {
        if (record.kind === "failed") {
          // The supervisor never ran pot start (a log path it could not or would not open): say why on the task.
          this.events.emit({
            taskId: handle.taskId,
            allocId: handle.allocId,
            taskName: handle.taskName,
            timestamp: new Date(),
            message: `Task not started: ${record.reason}`,
            annotations: {},
          });
        }
        return resolveOutcome(this.pot(), handle.state.potName, record);
      })
      .catch((err: unknown): TaskOutcome => ({ kind: "unknown", reason: `failed to learn the exit: ${describeError(err)}` }))
      .then((outcome) => {
        handle.settle(outcome);
        if (outcome.kind === "exited") {
          taskLog.info({ exit_code: outcome.exitCode, signal: outcome.signal }, "task exited");
        } else {
          taskLog.error({ reason: outcome.reason }, "task exit unknown");
        }
      });
  }

  /**
   * Re-attaches to a task started by an earlier plugin process, keyed on the handle's task id. Idempotent.
   * Running: tracked again. Exited while the driver was away: its recorded exit is reported by WaitTask. Pot
   * or bundle gone: an error, so Nomad destroys and restarts the task.
   */
  async recoverTask(task: TaskSpec, handleVersion: number, driverState: Uint8Array): Promise<void> {
    if (task.taskId !== "" && this.tasks.get(task.taskId)) return;
    const decoded = decodeDriverState(driverState, handleVersion);
    if (!decoded.ok) throw new DriverError("invalid-argument", `failed to recover task: ${decoded.reason}`);
    const state = decoded.state;
    if (this.tasks.get(state.taskId)) return;
    if (!(await this.deps.supervision.bundleExists(state.bundleDir))) {
      throw new DriverError("not-found", `failed to recover task ${state.taskId}: its bundle ${state.bundleDir} is gone`);
    }
    // The pot first: attaching starts watching the supervisor, which a vanished task must not leave behind.
    const potExists = await this.pot().exists(state.potName);
    if (!potExists) {
      throw new DriverError("not-found", `failed to recover task ${state.taskId}: pot ${state.potName} no longer exists`);
    }
    let supervised: SupervisedTask;
    try {
      supervised = await this.deps.supervision.attach(state.bundleDir, state.supervisorPid);
    } catch (err) {
      // A bundle whose spec.json is missing or unreadable keeps its kind (not-found, corrupt): the task is lost.
      const kind = err instanceof KindedError ? err.kind : "failed";
      throw new DriverError(kind, `failed to recover task ${state.taskId}: ${describeError(err)}`, { cause: err });
    }
    const idParts = parseTaskId(state.taskId);
    this.adopt({
      taskName: task.taskName || idParts?.taskName || "",
      allocId: task.allocId || idParts?.allocId || "",
      state,
      env: task.env,
      supervised,
    });
    log.info({ task_id: state.taskId, pot: state.potName }, "task recovered");
  }

  /** Resolves with the task's exit once it has exited (immediately if it already has). */
  async waitTask(taskId: string): Promise<TaskOutcome> {
    return this.handle(taskId).wait();
  }

  /**
   * Sends the kill signal (SIGTERM when Nomad names none) to the task's main process, waits up to `timeoutMs`
   * for it to exit, then stops the jail with `pot stop`. Returns once the task has exited. Idempotent.
   */
  async stopTask(taskId: string, timeoutMs: number, signal: string): Promise<void> {
    const handle = this.handle(taskId);
    if (handle.runState === "exited") return;
    const signalName = normalizeSignal(signal === "" ? DEFAULT_KILL_SIGNAL : signal);
    if (!signalName) throw new DriverError("invalid-argument", `unknown signal ${JSON.stringify(signal)}`);
    const taskLog = log.child({ task_id: taskId, pot: handle.state.potName });
    try {
      await this.signalStarted(handle, signalName);
    } catch (err) {
      // The main process may be gone already (exiting on its own); pot stop below still applies.
      taskLog.warn({ error: err, signal: signalName }, "failed to signal task before stop");
    }
    if (await handle.settlesWithin(timeoutMs)) return;
    taskLog.info({ timeout_ms: timeoutMs }, "task ignored its kill signal; stopping the pot");
    const graceMs = this.deps.stopGraceMs ?? STOP_GRACE_MS;
    const stopped = await this.stopPot(handle);
    if (stopped === "pot-was-stopping") {
      // pot start's own cleanup (or another stop) holds the pot: done once pot start has ended.
      taskLog.info("pot was already stopping the pot; waiting for it");
      if (await handle.settlesWithin(potStopDeadlineMs(handle.state.stopTimeoutS) + graceMs)) return;
    } else if (await handle.settlesWithin(graceMs)) return;
    // pot stop returned but pot start did not end: take the supervisor's whole session down.
    taskLog.warn({ grace_ms: graceMs }, "task still running after pot stop; killing its supervisor");
    handle.supervised.kill();
    if (!(await handle.settlesWithin(graceMs))) {
      throw new DriverError("timed-out", `task ${taskId} did not exit after pot stop and SIGKILL`);
    }
  }

  /**
   * `pot signal`, waiting first for pot to finish starting the pot when the signal met a pot still `starting`
   * (pot records the main pid only then; docs/pot-behaviour.md, "Start").
   */
  private async signalStarted(handle: TaskHandle, signalName: string): Promise<void> {
    const potName = handle.state.potName;
    try {
      await this.pot().signal(potName, signalName);
      return;
    } catch (err) {
      if (handle.runState === "exited") throw err;
      const { starting, probe } = await stillStarting(this.pot(), potName);
      if (!starting) throw err;
      log.debug({ task_id: handle.taskId, pot: potName }, "signal met a pot still starting; waiting for pot");
      if ((await untilStarted(probe, () => handle.runState === "exited")) !== "started") throw err;
    }
    await this.pot().signal(potName, signalName);
  }

  /**
   * `pot stop` with a deadline derived from the pot's stop_timeout. A pot still `starting` is waited for, then
   * stopped; a pot that pot is already stopping (pot start's cleanup after the command ended, or another stop) is
   * reported as such, not as a failure.
   */
  private async stopPot(handle: TaskHandle): Promise<"stopped" | "pot-was-stopping"> {
    const potName = handle.state.potName;
    const timeoutMs = potStopDeadlineMs(handle.state.stopTimeoutS);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pot().stop(potName, { timeoutMs });
        return "stopped";
      } catch (err) {
        const said = isPotError(err) ? (err.potErrors ?? []).join("\n") : "";
        if (/is already stopping!/.test(said)) return "pot-was-stopping";
        if (attempt === 1 && /not in a state where it can be stopped/.test(said)) {
          const { starting, probe } = await stillStarting(this.pot(), potName);
          if (starting && (await untilStarted(probe, () => handle.runState === "exited")) !== "timed-out") continue;
          if (handle.runState === "exited") return "stopped";
        }
        throw new DriverError("failed", `failed to stop pot ${potName}`, { cause: err });
      }
    }
  }

  /**
   * Releases the task: with `force`, a running task is stopped first; then the pot is destroyed and the bundle
   * removed. Without `force` a running task is refused. An unknown task id is cleaned up by its derived pot
   * name (a failed recovery leaves Nomad holding ids this process never saw). Idempotent.
   */
  async destroyTask(taskId: string, force: boolean): Promise<void> {
    const handle = this.tasks.get(taskId);
    if (handle && handle.runState === "running" && !force) {
      throw new DriverError("failed-precondition", "cannot destroy running task");
    }
    const potName = handle?.state.potName ?? derivedPotName(taskId);
    const bundleDir = handle?.state.bundleDir ?? this.deps.supervision.bundleDirFor(this.config.stateDir, taskId);
    if (handle && handle.runState === "running") {
      await this.stopTask(taskId, 0, DEFAULT_KILL_SIGNAL).catch((err: unknown) => {
        log.warn({ task_id: taskId, error: err }, "failed to stop task during destroy; destroying anyway");
      });
    }
    // A task this process never tracked (its start failed, or recovery did) may have no pot at all.
    const potPresent =
      potName !== undefined &&
      (handle !== undefined ||
        (await this.pot()
          .exists(potName)
          .catch(() => true)));
    if (potName && potPresent) {
      try {
        await destroyPot(
          this.pot(),
          potName,
          (err, attempt) => {
            log.warn({ task_id: taskId, pot: potName, attempt, error: err }, "pot destroy failed; retrying");
          },
          {
            timeoutMs: potDestroyDeadlineMs(handle?.state.stopTimeoutS),
            // A tracked task's pot start is gone once its supervisor ended; an untracked one has none here.
            startGone: () => handle === undefined || handle.runState === "exited",
            onRelease: (what) => log.warn({ task_id: taskId, pot: potName }, what),
          },
        );
      } catch (err) {
        throw new DriverError("failed", `failed to destroy pot ${potName}`, { cause: err });
      }
    }
    await this.deps.supervision.remove(bundleDir);
    this.tasks.delete(taskId);
    if (this.tasks.size === 0) this.deps.onIdle?.();
  }

  inspectTask(taskId: string): TaskStatus {
    return this.handle(taskId).status();
  }

  /** Sends a signal (a name as Nomad sends it, e.g. "SIGHUP") to the task's main process. */
  async signalTask(taskId: string, signal: string): Promise<void> {
    const handle = this.handle(taskId);
    const signalName = normalizeSignal(signal);
    if (!signalName) throw new DriverError("invalid-argument", `unknown signal ${JSON.stringify(signal)}`);
    if (handle.runState === "exited") throw new DriverError("failed-precondition", `task ${taskId} has exited`);
    try {
      await this.signalStarted(handle, signalName);
    } catch (err) {
      throw new DriverError("failed", `failed to send ${signalName} to task ${taskId}`, { cause: err });
    }
  }

  /**
   * Runs a command inside the task's jail with the task's environment; `timeoutMs` 0 means no limit. The
   * command's own exit status is returned whatever it is; pot refusing to run it is an error.
   */
  async execTask(taskId: string, command: readonly string[], timeoutMs: number): Promise<ExecOutput> {
    const handle = this.handle(taskId);
    if (command.length === 0 || command[0] === "") throw new DriverError("invalid-argument", "exec needs a command");
    if (handle.runState === "exited") throw new DriverError("failed-precondition", `task ${taskId} has exited`);
    let result: ExecResult;
    try {
      result = await this.pot().exec(
        handle.state.potName,
        asTaskUser(handle, command),
        { env: execEnv(handle) },
        timeoutMs > 0 ? { timeoutMs } : {},
      );
    } catch (err) {
      if (isPotError(err, "timed-out")) {
        throw new DriverError("timed-out", `command timed out after ${timeoutMs} ms`, { cause: err });
      }
      if (isPotError(err, "invalid-argument") && err.exitCode === null) {
        throw new DriverError("invalid-argument", `cannot exec in task ${taskId}: ${err.message}`, { cause: err });
      }
      throw new DriverError("failed", `failed to exec in task ${taskId}`, { cause: err });
    }
    const ended = fromChildExit(result.exitCode, result.exitCode === null ? result.signal : null);
    return {
      stdout: new TextEncoder().encode(result.stdout),
      stderr: new TextEncoder().encode(result.stderr),
      exitCode: ended.exitCode,
      signal: ended.signal,
    };
  }

  /**
   * Starts an interactive exec in the task's jail (ExecTaskStreaming): the command runs as the task's user with
   * the task's environment; the caller feeds its input and reads its output through `io` and the session.
   */
  startExecSession(taskId: string, command: readonly string[], io: ExecSessionIo): ExecSession {
    const handle = this.handle(taskId);
    if (command.length === 0 || command[0] === "") throw new DriverError("invalid-argument", "exec needs a command");
    if (handle.runState === "exited") throw new DriverError("failed-precondition", `task ${taskId} has exited`);
    const pot = this.pot();
    let argv: string[];
    try {
      argv = pot.execArgv(handle.state.potName, asTaskUser(handle, command), { env: execEnv(handle), tty: io.tty });
    } catch (err) {
      if (isPotError(err, "invalid-argument"))
        throw new DriverError("invalid-argument", `cannot exec in task ${taskId}: ${err.message}`, { cause: err });
      throw err;
    }
    return this.deps.execSessions.start(argv, { ...io, env: pot.env });
  }

  /**
   * Calls `onSample` with the task's resource usage every `intervalMs` until the returned function is called.
   * All tasks share one sampling run per interval.
   */
  taskStats(taskId: string, intervalMs: number, onSample: (usage: ProcessUsage | undefined, at: Date) => void): () => void {
    const handle = this.handle(taskId);
    return this.deps.sampler.subscribe(handle.state.supervisorPid, intervalMs, onSample);
  }

  /** Whether the task is known and still running (stats streams end when it is not). */
  isRunning(taskId: string): boolean {
    return this.tasks.get(taskId)?.runState === "running";
  }

  private handle(taskId: string): TaskHandle {
    const handle = this.tasks.get(taskId);
    if (!handle) throw new DriverError("not-found", `task not found for given id ${JSON.stringify(taskId)}`);
    return handle;
  }
}

function derivedPotName(taskId: string): string | undefined {
  const parts = parseTaskId(taskId);
  return parts ? potNameForTask(parts).potName : undefined;
}

/**
 * A command run in the task's jail as the task's user (docs/networking.md, "Users"): switched by the jail's
 * chroot(8), because `pot exec -U` needs the account's home to exist and `-u` reads the host's accounts.
 */
function asTaskUser(handle: TaskHandle, command: readonly string[]): string[] {
  const user = handle.state.user;
  return user === undefined ? [...command] : [...switchUserArgv(user), ...command];
}

/**
 * The task environment minus what pot cannot carry into the jail (src/pot/env-vars.ts, the rule a start applies;
 * a recovered task's environment was never checked by one); for a task with a user, that user's USER and HOME
 * unless the task's own environment sets them.
 */
function execEnv(handle: TaskHandle): Record<string, string> {
  const out: Record<string, string> = {};
  const user = handle.state.user;
  const env = user === undefined ? handle.env : { USER: user.name, HOME: user.home, ...handle.env };
  for (const [k, v] of Object.entries(env)) {
    if (isValidEnvName(k) && isValidEnvValue(v)) out[k] = v;
  }
  return out;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
