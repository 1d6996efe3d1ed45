// StartTask's sequence (driver layer): validate → plan → pot prepare → configure → launch the supervisor.
// Nothing is created before validation and planning pass; once the pot exists, every failure destroys it
// (and removes a launched bundle) before the error is returned, so a failed start leaves nothing behind.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeError, log } from "../log/logger.ts";
import { isPotError, type PotError } from "../pot/errors.ts";
import { childEnv } from "../support/child-env.ts";
import { isErrno } from "../support/errno.ts";
import { formatConfigIssues } from "./config-schema.ts";
import { destroyPot } from "./destroy-pot.ts";
import type { DriverState } from "./driver-state.ts";
import { DriverError } from "./errors.ts";
import type { TaskEventBus } from "./events.ts";
import { checkAllocDirMounts, checkHostPaths } from "./host-paths.ts";
import { copyIntoMountedDir, hostCopyIssues } from "./host-copy.ts";
import { isJailExecutable, jailRootOf, potDirOf, readJailFile } from "./jail-files.ts";
import { findJailAccount, JAIL_CHROOT, type JailAccount } from "./jail-user.ts";
import { parseGoDurationMs, type PluginConfig } from "./plugin-config.ts";
import type { PotLockQueue } from "./pot-lock-queue.ts";
import { commandLineAsUser, planStart, type StartPlan } from "./start-plan.ts";
import { settledFlag, untilStarted } from "./start-readiness.ts";
import { potDestroyDeadlineMs } from "./stop-deadline.ts";
import type { PotOperations, SupervisedTask, Supervision } from "./ports.ts";
import { validateTaskConfig } from "./task-config.ts";
import type { TaskSpec } from "./task-spec.ts";

/** `pot prepare` fetches and receives the image; large images on slow links need minutes. */
export const DEFAULT_PREPARE_TIMEOUT_MS = 15 * 60_000;

/** Environment variable that overrides DEFAULT_PREPARE_TIMEOUT_MS for the plugin process (operators, tests). */
export const PREPARE_TIMEOUT_ENV = "POT_DRIVER_PREPARE_TIMEOUT";
const MIN_PREPARE_TIMEOUT_MS = 1_000;
const MAX_PREPARE_TIMEOUT_MS = 24 * 3_600_000;

/**
 * The prepare deadline from the value of POT_DRIVER_PREPARE_TIMEOUT: a Go duration between 1s and 24h. Unset or
 * empty gives the default; anything else is an error for the caller to report (the default then applies).
 */
export function prepareTimeoutFrom(value: string | undefined): { ok: true; ms: number } | { ok: false; reason: string } {
  if (value === undefined || value === "") return { ok: true, ms: DEFAULT_PREPARE_TIMEOUT_MS };
  const ms = parseGoDurationMs(value);
  if (ms === undefined) return { ok: false, reason: `${PREPARE_TIMEOUT_ENV}=${JSON.stringify(value)} is not a duration such as "20m"` };
  if (ms < MIN_PREPARE_TIMEOUT_MS || ms > MAX_PREPARE_TIMEOUT_MS) {
    return { ok: false, reason: `${PREPARE_TIMEOUT_ENV}=${JSON.stringify(value)} must be between 1s and 24h` };
  }
  return { ok: true, ms: Math.round(ms) };
}

/** What every start needs besides the task; PotDriver builds its TaskStarter from these once. */
export interface TaskStarterDeps {
  /** The plugin config in force (a start reads it once, when it begins). */
  config: () => PluginConfig;
  /** A pot command layer for that config. */
  pot: () => PotOperations;
  supervision: Supervision;
  events: TaskEventBus;
  hostCpus: number;
  /** Deadline of `pot prepare`; DEFAULT_PREPARE_TIMEOUT_MS unless the operator overrode it. */
  prepareTimeoutMs: number;
  /** Serialises the pot calls that take pot's global lock (prepare, copy-in). */
  lockQueue: PotLockQueue;
}

export interface StartOutcome {
  state: DriverState;
  supervised: SupervisedTask;
}

/** StartTask's sequence, built once from its dependencies; `start` runs it for one task. */
export class TaskStarter {
  constructor(private readonly deps: TaskStarterDeps) {}

  /**
   * Validates, plans, prepares and configures the pot, launches the supervisor and waits for pot to mark the
   * pot started. A failure after the pot exists destroys it (and a launched bundle) before the error is thrown.
   */
  async start(task: TaskSpec, driverConfig: unknown): Promise<StartOutcome> {
    const plugin = this.deps.config();
    const pot = this.deps.pot();
    const validated = validateTaskConfig(driverConfig);
    if (!validated.ok) {
      throw new DriverError("invalid-config", `failed driver config validation: ${formatConfigIssues(validated.issues)}`);
    }
    // Plan and host-path problems are reported together, so one failed start names all of them.
    const planned = planStart(validated.config, task, { hostCpus: this.deps.hostCpus });
    const pathIssues = await checkHostPaths(validated.config, {
      taskDirs: [`${task.allocDir}/${task.taskName}`, `${task.allocDir}/alloc`],
      allowed: plugin.allowedHostPaths,
    });
    const copyIssues = planned.ok && pathIssues.length === 0 ? await hostCopyIssues(planned.plan.hostCopies) : [];
    if (!planned.ok || pathIssues.length > 0 || copyIssues.length > 0) {
      const issues = [...(planned.ok ? [] : planned.issues), ...pathIssues, ...copyIssues];
      throw new DriverError("invalid-config", `failed driver config validation: ${formatConfigIssues(issues)}`);
    }
    const plan = planned.plan;
    const unsafeMounts = await checkAllocDirMounts(
      plan.mounts.map((mount) => mount.dir),
      task.allocDir,
    );
    if (unsafeMounts.length > 0) {
      throw new DriverError("failed-precondition", `failed to start task: refusing to mount ${unsafeMounts.join("; ")}`);
    }
    if (plan.bridge !== undefined) await requireBridge(pot, plan.bridge);
    const taskLog = log.child({ task_id: task.taskId, alloc_id: task.allocId, task_name: task.taskName, pot: plan.potName });
    const event = (message: string, annotations: Record<string, string> = {}): void => {
      this.deps.events.emit({
        taskId: task.taskId,
        allocId: task.allocId,
        taskName: task.taskName,
        timestamp: new Date(),
        message,
        annotations,
      });
    };

    if (plan.skippedEnv.length > 0) {
      const names = plan.skippedEnv.map((n) => JSON.stringify(n.length > 64 ? `${Array.from(n).slice(0, 61).join("")}...` : n));
      event(`Environment variables not passed to the jail (names its shell cannot export): ${names.join(", ")}`);
      taskLog.warn({ names: plan.skippedEnv }, "environment variables not passed to the jail");
    }

    let created = false;
    let bundleDir: string | undefined;
    try {
      event(`Preparing pot ${plan.potName} from image ${plan.prepare.imageName}:${plan.prepare.tag}`, {
        image: `${plan.prepare.imageUrl}${plan.prepare.imageName}_${plan.prepare.tag}.xz`,
      });
      taskLog.info("preparing pot");
      // From here on the pot may exist (prepare can fail after cloning); a name clash means it is not ours.
      created = true;
      const waitForPot = (ahead: number) => {
        event(`Waiting for pot: ${ahead} ${ahead === 1 ? "task" : "tasks"} ahead`, { ahead: String(ahead) });
        taskLog.info({ ahead }, "waiting for pot's global lock");
      };
      const prepared = await this.deps.lockQueue
        .run(
          () => withResolvConf(plugin.stateDir, plan, (prepare) => pot.prepare(prepare, { timeoutMs: this.deps.prepareTimeoutMs })),
          waitForPot,
        )
        .catch((err: unknown) => {
          if (isPotError(err, "already-exists")) created = false;
          throw err;
        });
      if (prepared.potName !== plan.potName) {
        throw new DriverError("internal", `pot prepare created ${prepared.potName}, expected ${plan.potName}`);
      }
      for (const warning of prepared.warnings) {
        event(`pot: ${warning}`);
        taskLog.warn({ warning }, "pot prepare reported a problem it ignored");
      }
      const fatal = prepared.essentialSkips;
      if (fatal.length > 0) {
        throw new DriverError("failed", `failed to start task: pot prepare skipped steps the task needs: ${fatal.join("; ")}`);
      }
      const user = await configure(pot, plan, this.deps.lockQueue, waitForPot);
      const network = plan.ownAddress ? await jailNetwork(pot, plan) : undefined;
      event(`Starting pot ${plan.potName}`);
      const launchedAt = Date.now();
      const supervised = await this.deps.supervision.launch({
        stateDir: plugin.stateDir,
        taskId: task.taskId,
        argv: pot.startArgv(plan.potName),
        stdoutPath: task.stdoutPath,
        stderrPath: task.stderrPath,
        trustedRoot: task.allocDir,
        // pot start hands this on to the task (jexec without -l), so no LC_ALL: the job's own locale wins.
        env: childEnv({ path: plugin.childPath }),
      });
      bundleDir = supervised.bundleDir;
      const state: DriverState = {
        taskId: task.taskId,
        potName: plan.potName,
        bundleDir: supervised.bundleDir,
        supervisorPid: supervised.pid,
        startedAt: new Date().toISOString(),
      };
      if (network) state.network = network;
      if (user) state.user = user;
      const stopTimeoutS = stopTimeoutOf(plan);
      if (stopTimeoutS !== undefined) state.stopTimeoutS = stopTimeoutS;
      const readiness = await untilStarted(await pot.startProbe(plan.potName, launchedAt), settledFlag(supervised.exited));
      if (readiness === "timed-out") {
        // The task counts as started all the same; signal and stop wait for pot if it is still starting.
        taskLog.warn("pot did not mark the pot started in time; reporting the task started anyway");
      }
      taskLog.info({ pid: supervised.pid, readiness }, "task started");
      return { state, supervised };
    } catch (err) {
      if (created) await cleanUp(pot, this.deps.supervision, plan.potName, bundleDir, taskLog, stopTimeoutOf(plan));
      const failure = networkRefusal(plan, err) ?? toStartError(err);
      event(`Failed to start: ${failure.message}`);
      throw failure;
    }
  }
}

/** The job's stop_timeout attribute in seconds, if it set one. */
function stopTimeoutOf(plan: StartPlan): number | undefined {
  const value = plan.attributes.find((attribute) => attribute.name === "stop_timeout")?.value;
  return value === undefined ? undefined : Number(value);
}

/**
 * Copies under mounts, copy-in, mount-in, then (with `user`) the account lookup in the jail as copied, set-env,
 * set-hosts, set-attr, set-rss, and (with `user`) set-cmd with the command wrapped to run as the account.
 * Returns the account.
 */
async function configure(
  pot: PotOperations,
  plan: StartPlan,
  lockQueue: PotLockQueue,
  onWait: (ahead: number) => void,
): Promise<JailAccount | undefined> {
  for (const copy of plan.hostCopies) await copyIntoMountedDir(copy);
  for (const copy of plan.copies) await lockQueue.run(() => pot.copyIn(plan.potName, copy), onWait);
  for (const mount of plan.mounts) await pot.mountIn(plan.potName, mount);
  const account = plan.user === undefined ? undefined : await jailAccount(pot, plan.potName, plan.user);
  // A process switched to the account keeps root's HOME and USER unless told otherwise; the job's env wins.
  const env = account ? { USER: account.name, HOME: account.home, ...plan.env } : plan.env;
  if (Object.keys(env).length > 0) await pot.setEnv(plan.potName, env);
  if (plan.hosts.length > 0) await pot.setHosts(plan.potName, plan.hosts);
  for (const attribute of plan.attributes) await pot.setAttr(plan.potName, attribute.name, attribute.value);
  if (plan.rss) await pot.setRss(plan.potName, plan.rss);
  if (account) {
    const line = plan.userCommand ?? (await imageCommand(pot, plan.potName));
    await pot.setCmd(plan.potName, commandLineAsUser(account, line));
  }
  return account;
}

/**
 * The command the prepared pot would run: the image's `pot.cmd` (the first line, taken verbatim as
 * start.sh `_js_get_cmd` reads it), `sh /etc/rc` when there is none.
 */
async function imageCommand(pot: PotOperations, potName: string): Promise<string> {
  const conf = await readJailFile(potDirOf(await pot.fsRoot(), potName), "/conf/pot.conf");
  if (!conf.ok) throw new DriverError("failed", `failed to start task: cannot read the image's command from pot.conf: ${conf.reason}`);
  const line = conf.text.split("\n").find((l) => l.startsWith("pot.cmd="));
  const command = line?.slice("pot.cmd=".length) ?? "";
  return command === "" ? "sh /etc/rc" : command;
}

/**
 * The task's `user` in the prepared jail's own /etc/passwd and /etc/group (read without following symlinks),
 * and the jail's chroot(8) that switches to it. Either missing fails the start: the task never runs as root
 * in its place.
 */
async function jailAccount(pot: PotOperations, potName: string, user: string): Promise<JailAccount> {
  const refuse = (why: string) =>
    new DriverError("invalid-config", `failed to start task: task.user: ${why} (got ${JSON.stringify(user)})`);
  const root = jailRootOf(await pot.fsRoot(), potName);
  const passwd = await readJailFile(root, "/etc/passwd");
  if (!passwd.ok) throw refuse(`cannot read the jail's user database: ${passwd.reason}`);
  const group = await readJailFile(root, "/etc/group");
  const account = findJailAccount(user, passwd.text, group.ok ? group.text : "");
  if (!account) throw refuse("the jail has no such user (not in its /etc/passwd)");
  if (!(await isJailExecutable(root, JAIL_CHROOT))) throw refuse(`the jail has no ${JAIL_CHROOT} to run the command as that user with`);
  return account;
}

/** `private-bridge` needs a bridge pot knows (a file under its bridges directory, listed by `pot ls -B`). */
async function requireBridge(pot: PotOperations, bridge: string): Promise<void> {
  let known: string[];
  try {
    known = await pot.bridges();
  } catch (err) {
    throw new DriverError("failed", `failed to start task: cannot list pot's private bridges: ${describeError(err)}`, { cause: err });
  }
  if (!known.includes(bridge)) {
    const listed = known.length === 0 ? "pot has none" : `pot has ${known.map((b) => JSON.stringify(b)).join(", ")}`;
    throw new DriverError(
      "invalid-config",
      `failed driver config validation: config.bridge: no private bridge named ${JSON.stringify(bridge)} (${listed}; create it with pot create-private-bridge) (got ${JSON.stringify(bridge)})`,
    );
  }
}

/**
 * Runs `prepare` with the plan's resolv.conf, if any, in a private file pot copies into the pot's own
 * configuration (`-d custom:<file>`); the file is gone again when prepare returns.
 */
async function withResolvConf<T>(stateDir: string, plan: StartPlan, prepare: (options: StartPlan["prepare"]) => Promise<T>): Promise<T> {
  if (plan.resolvConf === undefined) return prepare(plan.prepare);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(stateDir, ".resolv-"));
  try {
    const file = join(dir, "resolv.conf");
    await writeFile(file, plan.resolvConf, { mode: 0o644, flag: "wx" });
    return await prepare({ ...plan.prepare, dns: { custom: file } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The jail's own address (fixed by the job for alias, else by pot prepare) and the ports services reach in it. */
async function jailNetwork(pot: PotOperations, plan: StartPlan): Promise<DriverState["network"]> {
  if (plan.fixedAddress !== undefined) return { portMap: plan.portMap, address: plan.fixedAddress };
  const address = await pot.jailAddress(plan.potName);
  return address === undefined ? undefined : { portMap: plan.portMap, address };
}

async function cleanUp(
  pot: PotOperations,
  supervision: Supervision,
  potName: string,
  bundleDir: string | undefined,
  taskLog: typeof log,
  stopTimeoutS: number | undefined,
): Promise<void> {
  try {
    await destroyPot(
      pot,
      potName,
      (err, attempt) => {
        taskLog.warn({ attempt, error: err }, "pot destroy failed during cleanup; retrying");
      },
      { timeoutMs: potDestroyDeadlineMs(stopTimeoutS) },
    );
  } catch (err) {
    taskLog.error({ error: err }, "failed to destroy pot after a failed start");
  }
  if (bundleDir) {
    await supervision.remove(bundleDir).catch((err: unknown) => {
      taskLog.error({ error: err }, "failed to remove bundle after a failed start");
    });
  }
}

/**
 * pot's own refusal of the job's network settings, which only pot can check (does the host have that interface,
 * does the bridge still exist), as a config error naming the field: retrying the same job cannot help.
 */
function networkRefusal(plan: StartPlan, err: unknown): DriverError | undefined {
  if (!isPotError(err)) return undefined;
  const lines = (err as PotError).potErrors;
  const refusal = (field: string, value: string, summary: RegExp) => {
    const reasons = lines.filter((line) => !summary.test(line));
    return new DriverError(
      "invalid-config",
      `failed driver config validation: config.${field}: pot refused the ${field === "bridge" ? "bridge" : "address"}: ${reasons.join("; ")} (got ${JSON.stringify(value)})`,
      { cause: err },
    );
  };
  const aliasIp = plan.prepare.networkType === "alias" ? plan.prepare.ips?.[0] : undefined;
  if (aliasIp !== undefined && lines.some((line) => line.endsWith("is not a valid alias configuration"))) {
    return refusal("alias_ip", aliasIp, /is not a valid alias configuration$/);
  }
  if (plan.bridge !== undefined && lines.some((line) => /^bridge .* is not valid/.test(line))) {
    return refusal("bridge", plan.bridge, /^$/);
  }
  return undefined;
}

/**
 * A start error as Nomad should see it: pot's own message included, and the kind of pot's failure, which
 * decides whether the restart policy applies (a retry can help when pot failed, timed out or was locked, not
 * when the input itself is wrong; src/plugin/status.ts).
 */
function toStartError(err: unknown): DriverError {
  if (err instanceof DriverError) return err;
  if (isPotError(err)) {
    // E2BIG: the job's values do not fit in an argv; retrying the same job cannot help.
    const kind = isErrno(err, "E2BIG") ? "invalid-argument" : err.kind;
    return new DriverError(kind, `failed to start task: ${err.message}`, { cause: err });
  }
  return new DriverError("failed", `failed to start task: ${describeError(err)}`, { cause: err });
}
