// The start plan (driver layer, pure): validated task config + Nomad's task facts → every pot operation of a
// StartTask, decided before anything is created. A plan either comes out whole or as a list of issues.
import type { CopyInOptions, HostEntry, MountInOptions, PortExport, PrepareOptions, RssLimits } from "../pot/argv.ts";
import { ENV_VALUE_RULE, isValidEnvName, isValidEnvValue } from "../pot/env-vars.ts";
import { parseTaskId, potNameForTask } from "../pot/naming.ts";
import { type ConfigIssue, formatConfigPath } from "./config-schema.ts";
import { type JailAccount, switchUserArgv, userNameProblem } from "./jail-user.ts";
import { type HostCopy, layoutCopies, mountIssues, type PlannedMount } from "./mount-layout.ts";
import { hasDnsSettings, renderResolvConf } from "./resolv-conf.ts";
import type { PortMapping, PotAttribute, TaskConfig } from "./task-config.ts";
import type { TaskSpec } from "./task-spec.ts";

export interface StartPlan {
  potName: string;
  prepare: PrepareOptions;
  /** Copies into the pot (pot copy-in). */
  copies: CopyInOptions[];
  /** Copies whose jail path lies under a writable mount: written into the mounted host directory instead. */
  hostCopies: HostCopy[];
  mounts: MountInOptions[];
  env: Record<string, string>;
  /** Names in the task's environment the jail's sh cannot export (Nomad builds some from port labels). */
  skippedEnv: string[];
  hosts: HostEntry[];
  attributes: PotAttribute[];
  rss: RssLimits | null;
  /** label → port inside the jail, for Nomad's NetworkOverride; empty in host mode. */
  portMap: Record<string, number>;
  /** Whether the jail gets an IP of its own (then its IP is advertised to Nomad). */
  ownAddress: boolean;
  /** The address to advertise when the job fixed it (alias); otherwise pot's `ip` is read after prepare. */
  fixedAddress?: string;
  /** `private-bridge`: the bridge that must exist before anything is created. */
  bridge?: string;
  /** The jail's resolv.conf text from the group's dns block (given to pot as `-d custom:<file>`). */
  resolvConf?: string;
  /**
   * `user`: the jail account to run as. Then prepare sets no command: the command line (`userCommand`, else the
   * image's own pot.cmd) is set once the account is found in the prepared jail, wrapped by commandLineAsUser.
   */
  user?: string;
  userCommand?: string;
}

export interface PlanContext {
  /** Logical CPUs of the host, for turning Nomad's cpu share into a cpu count. */
  hostCpus: number;
}

export type PlanResult = { ok: true; plan: StartPlan } | { ok: false; issues: ConfigIssue[] };

/** In-jail paths of Nomad's task directories (what NOMAD_TASK_DIR & co. say under image isolation). */
export const JAIL_TASK_DIR = "/local";
export const JAIL_SECRETS_DIR = "/secrets";
export const JAIL_ALLOC_DIR = "/alloc";
/** Nomad's log FIFOs, mounted read-only over the read-write /alloc (docs/security.md). */
export const JAIL_LOGS_DIR = "/alloc/logs";

export function planStart(config: TaskConfig, task: TaskSpec, context: PlanContext): PlanResult {
  const issues: ConfigIssue[] = [];
  const nameProblem = taskDirNameProblem(task.taskName);
  if (nameProblem) return { ok: false, issues: [{ path: "task.name", message: nameProblem, value: task.taskName }] };
  const idParts = parseTaskId(task.taskId);
  if (!idParts) {
    return { ok: false, issues: [{ path: "task.id", message: "is not <alloc_id>/<task_name>/<invocation>", value: task.taskId }] };
  }
  const naming = potNameForTask(idParts);
  const mode = config.networkMode;
  const bridged = mode === "public-bridge" || mode === "private-bridge";

  const ports: PortExport[] = [];
  const portMap: Record<string, number> = {};
  if (bridged || mode === "alias") {
    for (const [label, mapping] of Object.entries(config.portMap)) {
      const hostPort = hostPortFor(label, task);
      if (hostPort === undefined) {
        issues.push({
          path: `config.port_map.${label}`,
          message: `no port labelled ${JSON.stringify(label)} in the group's network block`,
          value: mapping.protocol === "default" ? String(mapping.port) : `${mapping.port}/${mapping.protocol}`,
        });
        continue;
      }
      // An alias jail has no NAT: its ports are advertised to Nomad, never forwarded (docs/networking.md).
      if (bridged) ports.push(...portExports(mapping, hostPort));
      portMap[label] = mapping.port;
    }
    // Group ports with `to` that port_map does not name are exported as the job asked.
    for (const port of task.resources.ports) {
      if (port.to > 0 && !(port.label in portMap)) {
        if (bridged) ports.push({ potPort: port.to, hostPort: port.hostPort });
        portMap[port.label] = port.to;
      }
    }
  }
  const command = commandLine(config.command, config.args);
  if (task.user !== "") {
    const problem = userNameProblem(task.user);
    if (problem) issues.push({ path: "task.user", message: problem, value: task.user });
  }
  let resolvConf: string | undefined;
  if (hasDnsSettings(task.dns)) {
    const rendered = renderResolvConf(task.dns);
    if (rendered.ok) resolvConf = rendered.text;
    else issues.push(...rendered.issues);
  }
  const env: Record<string, string> = {};
  const skippedEnv: string[] = [];
  for (const [name, value] of Object.entries(task.env)) {
    if (!isValidEnvName(name)) skippedEnv.push(name);
    else if (!isValidEnvValue(value)) issues.push({ path: formatConfigPath("task.env", [name]), message: ENV_VALUE_RULE, value });
    else env[name] = value;
  }
  if (issues.length > 0) return { ok: false, issues };

  const taskDir = `${task.allocDir}/${task.taskName}`;
  const mounts: MountInOptions[] = [
    { dir: `${taskDir}/local`, mountPoint: JAIL_TASK_DIR },
    { dir: `${taskDir}/secrets`, mountPoint: JAIL_SECRETS_DIR },
    { dir: `${task.allocDir}/alloc`, mountPoint: JAIL_ALLOC_DIR },
    // After /alloc (pot mounts in fscomp.conf order): the task must not replace its log FIFOs or their
    // directory, which the root supervisor and Nomad's logmon open on the host.
    { dir: `${task.allocDir}/alloc/logs`, mountPoint: JAIL_LOGS_DIR, readOnly: true },
    ...config.mount.map((m) => ({ dir: m.hostPath, mountPoint: m.jailPath })),
    ...config.mountReadOnly.map((m) => ({ dir: m.hostPath, mountPoint: m.jailPath, readOnly: true })),
    ...task.mounts.map((m) => ({ dir: m.hostPath, mountPoint: m.taskPath, readOnly: m.readOnly })),
  ];

  const layoutIssues = [...mountIssues(mounts.map((m) => describeMount(m, config, taskDir)))];
  const layout = layoutCopies(
    config.copy.map((c, i) => ({ path: `config.copy[${i}]`, hostPath: c.hostPath, jailPath: c.jailPath })),
    mounts.map((m) => describeMount(m, config, taskDir)),
  );
  layoutIssues.push(...layout.issues);
  if (layoutIssues.length > 0) return { ok: false, issues: layoutIssues };

  const prepare: PrepareOptions = {
    imageUrl: config.image,
    imageName: config.pot,
    tag: config.tag,
    allocId: naming.prepareAllocId,
    name: naming.prepareName,
    networkType: mode === "host" ? "inherit" : mode,
    ports,
  };
  if (bridged) prepare.ips = ["auto"];
  if (mode === "private-bridge" && config.bridge !== undefined) prepare.bridge = config.bridge;
  if (mode === "alias" && config.aliasIp !== undefined) {
    const { iface, address, family } = config.aliasIp;
    prepare.ips = [iface === undefined ? address : `${iface}|${address}`];
    // The stack follows the address, so an image's own pot.stack cannot make pot refuse or drop it.
    prepare.stack = family === 4 ? "ipv4" : "ipv6";
  }
  const user = task.user === "" ? undefined : task.user;
  if (command !== undefined && user === undefined) prepare.command = command;

  const plan: StartPlan = {
    potName: naming.potName,
    prepare,
    copies: layout.potCopies,
    hostCopies: layout.hostCopies,
    mounts,
    env,
    skippedEnv,
    hosts: config.extraHosts.map((h) => ({ hostname: h.hostname, ip: h.ip })),
    attributes: [...config.attributes],
    rss: rssLimits(task, context),
    portMap,
    ownAddress: bridged || mode === "alias",
  };
  if (mode === "alias" && config.aliasIp !== undefined) plan.fixedAddress = config.aliasIp.address;
  if (mode === "private-bridge" && config.bridge !== undefined) plan.bridge = config.bridge;
  if (resolvConf !== undefined) plan.resolvConf = resolvConf;
  if (user !== undefined) {
    plan.user = user;
    if (command !== undefined) plan.userCommand = command;
  }
  return { ok: true, plan };
}

/** pot's `-e` specs for one port_map entry: no prefix by default, `tcp:`/`udp:`, or one of each for tcp+udp. */
function portExports(mapping: PortMapping, hostPort: number): PortExport[] {
  const protocols: Array<"tcp" | "udp" | undefined> =
    mapping.protocol === "default" ? [undefined] : mapping.protocol === "tcp+udp" ? ["tcp", "udp"] : [mapping.protocol];
  return protocols.map((protocol) =>
    protocol === undefined ? { potPort: mapping.port, hostPort } : { potPort: mapping.port, hostPort, protocol },
  );
}

/** A mount of the plan with its origin: a config entry, one of the task's directories, or a volume. */
function describeMount(mount: MountInOptions, config: TaskConfig, taskDir: string): PlannedMount {
  const same = (e: { hostPath: string; jailPath: string }) => e.hostPath === mount.dir && e.jailPath === mount.mountPoint;
  const rw = mount.readOnly === true ? -1 : config.mount.findIndex(same);
  if (rw >= 0) return { ...mount, path: `config.mount[${rw}]`, what: `config.mount[${rw}]` };
  const ro = mount.readOnly === true ? config.mountReadOnly.findIndex(same) : -1;
  if (ro >= 0) return { ...mount, path: `config.mount_read_only[${ro}]`, what: `config.mount_read_only[${ro}]` };
  if (mount.dir.startsWith(`${taskDir}/`)) return { ...mount, what: `the task's ${mount.dir.slice(taskDir.length + 1)}/ directory` };
  return { ...mount, what: `the ${mount.mountPoint} mount` };
}

/**
 * Why a task name cannot be the task's directory `<alloc dir>/<name>`, which is mounted into the jail: pot
 * mount-in refuses newlines, and pot reads fscomp.conf lines back with awk, so whitespace would cut the path.
 */
function taskDirNameProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name === "." || name === "..") return "must not be . or ..";
  if (name.includes("/")) return "must not contain /";
  if (/[\s\u0000-\u001f\u007f]/.test(name)) return "must not contain whitespace or control characters";
  if (new TextEncoder().encode(name).length > 255) return "must be at most 255 bytes";
  return undefined;
}

/** The host port Nomad allocated for a label: the group port, else the task env's NOMAD_HOST_PORT_<label>. */
function hostPortFor(label: string, task: TaskSpec): number | undefined {
  const allocated = task.resources.ports.find((p) => p.label === label);
  if (allocated) return allocated.hostPort;
  const fromEnv = task.env[`NOMAD_HOST_PORT_${label}`];
  const port = fromEnv === undefined ? Number.NaN : Number(fromEnv);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * The jail's command line. `command` is a shell command line run by the jail's sh (`exec <command>`), exactly
 * as pot runs it, so the seed's `nginx -g 'daemon off;'` keeps its quoting. Each of `args` is appended as one
 * literal word (single-quoted), so arguments never re-split or expand.
 */
export function commandLine(command: string | undefined, args: readonly string[]): string | undefined {
  if (command === undefined) return undefined;
  return [command, ...args.map(shellWord)].join(" ");
}

/**
 * The pot command line that runs `line` as `account`: the root shell of pot's tinirc only execs the jail's
 * chroot; the job's line itself (expansions, redirections) is evaluated by a shell already running as the account.
 */
export function commandLineAsUser(account: JailAccount, line: string): string {
  return [...switchUserArgv(account), "/bin/sh", "-c", shellWord(`exec ${line}`)].join(" ");
}

/** Quotes one word for a POSIX shell: 'it'\''s' style. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Memory: rctl's memoryuse deny limit at the task's hard limit (memory_max when oversubscription gives one).
 * CPU: the reserved cores' count, else the task's cpu share of the host rounded up to whole CPUs (pot limits
 * CPUs with cpuset, not shares). Nothing when Nomad sent no resources.
 */
export function rssLimits(task: TaskSpec, context: PlanContext): RssLimits | null {
  const limits: RssLimits = {};
  const memory = Math.max(task.resources.memoryMb, task.resources.memoryMaxMb);
  if (memory > 0) limits.memoryMb = memory;
  const cores = task.resources.cpusetCpus.split(",").filter((c) => c.trim() !== "").length;
  if (cores > 0) {
    limits.cpus = cores;
  } else if (task.resources.percentTicks > 0 && context.hostCpus > 0) {
    limits.cpus = Math.min(context.hostCpus, Math.max(1, Math.ceil(task.resources.percentTicks * context.hostCpus)));
  }
  return limits.memoryMb === undefined && limits.cpus === undefined ? null : limits;
}
