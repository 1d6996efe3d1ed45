// Pure builders: typed options → pot argv (subcommand first, pot path not included) (layer 3).
//
// Flags and value rules are pot 0.16's (docs/pot-behaviour.md). A value pot would silently mangle (a newline
// in a pot.conf line, a `.` in a pot name, an env name the jail's sh cannot export) is refused here with a
// PotError of kind "invalid-argument" instead of being passed on.
import { isPotAttribute, type PotAttributeName } from "./attributes.ts";
import { ENV_VALUE_RULE, isValidEnvName, isValidEnvValue } from "./env-vars.ts";
import { PotError } from "./errors.ts";
import { isSafePotName } from "./naming.ts";

export type NetworkType = "inherit" | "alias" | "public-bridge" | "private-bridge";
export type NetworkStack = "ipv4" | "ipv6" | "dual";
/** `-d` of prepare: inherit | pot | off | custom:<file readable by pot>. */
export type DnsMode = "inherit" | "pot" | "off" | { custom: string };

/** One `-e [tcp:|udp:]potport[:hostport]`: the first number is the port inside the pot. */
export interface PortExport {
  potPort: number;
  hostPort?: number;
  protocol?: "tcp" | "udp";
}

export interface PrepareOptions {
  /** `-U`: base URL of the image directory. */
  imageUrl: string;
  /** `-p`: remote image name (`<name>_<tag>.xz` on the server). */
  imageName: string;
  /** `-t`: image tag. */
  tag: string;
  /** `-a`: pot appends `_<allocId>` to the name. */
  allocId: string;
  /** `-n`: name prefix; pot's default is `<imageName>_<tag>`. */
  name?: string;
  /** `-c`: the command line, run by the jail's sh as `exec <command>`; passed so set-cmd stores it verbatim. */
  command?: string;
  /** `-N`; `host` is pot's alias for inherit. Absent: the pot keeps the image's network type. */
  networkType?: NetworkType | "host";
  /** `-i`, repeatable: an IP, `nic|ip` (alias), or `auto`. */
  ips?: readonly string[];
  /** `-B`: private bridge name (required with private-bridge). */
  bridge?: string;
  /** `-S`. */
  stack?: NetworkStack;
  /** `-d` (pot ≥ 0.15.0). */
  dns?: DnsMode;
  /** `-e`, repeatable. pot stores them in reverse order. */
  ports?: readonly PortExport[];
  /** `-C` (pot ≥ 0.15.4): public key to verify the image signature. */
  signaturePubkey?: string;
  /** Number of `-v` flags. */
  verbose?: number;
}

export interface CopyInOptions {
  /** Absolute host path of a file or directory. */
  source: string;
  /** Absolute path inside the pot. */
  destination: string;
  /** `-c`: create the destination's parent directories. */
  createDirs?: boolean;
  /** `-F`: allowed on a running pot. */
  force?: boolean;
}

export interface MountInOptions {
  /** `-d`: absolute host directory. */
  dir: string;
  /** `-m`: absolute mount point inside the pot, no spaces, not `/`. */
  mountPoint: string;
  /** `-r`. */
  readOnly?: boolean;
}

export interface HostEntry {
  hostname: string;
  ip: string;
}

export interface RssLimits {
  /** `-M <n>M`. */
  memoryMb?: number;
  /** `-C <n>`. */
  cpus?: number;
}

export interface SignalOptions {
  /** `-P`: a pid inside the jail instead of the main process. */
  pid?: number;
  /** `-C`: only look the process up (pgrep instead of pkill); nothing is sent. */
  dryRun?: boolean;
}

export interface ExecOptions {
  /** `-e VAR=value`, repeatable. pot's exec starts from a clean login environment. */
  env?: Readonly<Record<string, string>>;
  /** `-t`: allocate a pty (script -q /dev/null). */
  tty?: boolean;
  /** `-d`: detach; pot returns 0 at once and discards output. */
  detach?: boolean;
}

const NO_NEWLINE = /^[^\n\r]*$/;
const MEMORY_MAX_MB = 2 ** 40;

export function versionArgv(): string[] {
  return ["version", "-q"];
}

export function prepareArgv(options: PrepareOptions): string[] {
  const argv = ["prepare"];
  for (let i = 0; i < (options.verbose ?? 0); i++) argv.push("-v");
  requireToken("prepare", "image URL", options.imageUrl);
  requireToken("prepare", "image name", options.imageName);
  requireToken("prepare", "tag", options.tag);
  requireToken("prepare", "allocation id", options.allocId);
  argv.push("-U", options.imageUrl, "-p", options.imageName, "-t", options.tag);
  if (options.name !== undefined) {
    requireToken("prepare", "name", options.name);
    argv.push("-n", options.name);
  }
  argv.push("-a", options.allocId);
  if (options.command !== undefined) argv.push("-c", quoteCommand("prepare", options.command));
  if (options.networkType !== undefined) argv.push("-N", options.networkType);
  for (const ip of options.ips ?? []) {
    requireToken("prepare", "ip", ip);
    argv.push("-i", ip);
  }
  if (options.bridge !== undefined) {
    requireToken("prepare", "bridge", options.bridge);
    argv.push("-B", options.bridge);
  }
  if (options.stack !== undefined) argv.push("-S", options.stack);
  if (options.dns !== undefined) {
    if (typeof options.dns !== "string") {
      // prepare passes `-d` on to clone unquoted, so the path must survive word splitting and globbing.
      if (!options.dns.custom.startsWith("/") || /[\s*?[\]]/.test(options.dns.custom)) {
        refuse(
          "prepare",
          `the resolv.conf path ${JSON.stringify(options.dns.custom)} must be absolute, without whitespace or glob characters`,
        );
      }
    }
    argv.push("-d", typeof options.dns === "string" ? options.dns : `custom:${options.dns.custom}`);
  }
  for (const port of options.ports ?? []) argv.push("-e", portSpec("prepare", port));
  if (options.signaturePubkey !== undefined) argv.push("-C", options.signaturePubkey);
  return argv;
}

export function copyInArgv(potName: string, options: CopyInOptions): string[] {
  requirePotName("copy-in", potName);
  requireAbsolute("copy-in", "source", options.source);
  requireAbsolute("copy-in", "destination", options.destination);
  const argv = ["copy-in", "-p", potName, "-s", options.source, "-d", options.destination];
  if (options.createDirs === true) argv.push("-c");
  if (options.force === true) argv.push("-F");
  return argv;
}

export function mountInArgv(potName: string, options: MountInOptions): string[] {
  requirePotName("mount-in", potName);
  requireAbsolute("mount-in", "directory", options.dir);
  requireAbsolute("mount-in", "mount point", options.mountPoint);
  if (/\s/.test(options.mountPoint)) refuse("mount-in", "the mount point cannot contain spaces");
  if (/^\/+$/.test(options.mountPoint)) refuse("mount-in", "/ is not a valid mount point");
  const argv = ["mount-in", "-p", potName, "-d", options.dir, "-m", options.mountPoint];
  if (options.readOnly === true) argv.push("-r");
  return argv;
}

/** Booleans become YES/NO; numbers their decimal form. */
export function setAttrArgv(potName: string, attribute: PotAttributeName, value: string | number | boolean): string[] {
  requirePotName("set-attr", potName);
  if (!isPotAttribute(attribute)) refuse("set-attr", `${attribute} is not a valid attribute`);
  const text = typeof value === "boolean" ? (value ? "YES" : "NO") : String(value);
  if (text === "") refuse("set-attr", `empty value for ${attribute}`);
  if (!NO_NEWLINE.test(text)) refuse("set-attr", `value of ${attribute} contains a newline`);
  return ["set-attr", "-p", potName, "-A", attribute, "-V", text];
}

export function setCmdArgv(potName: string, command: string): string[] {
  requirePotName("set-cmd", potName);
  return ["set-cmd", "-p", potName, "-c", quoteCommand("set-cmd", command)];
}

/**
 * set-env replaces the whole pot.env set with `env` (docs/pot-behaviour.md, set-env). pot refuses an empty set, so
 * callers must not call it with none. Values reach the jail through `export "NAME=value"` in a shell script: `$`,
 * backquotes and `\` in values are expanded there (pot escapes only `"`).
 */
export function setEnvArgv(potName: string, env: Readonly<Record<string, string>>): string[] {
  requirePotName("set-env", potName);
  const entries = Object.entries(env);
  if (entries.length === 0) refuse("set-env", "at least one variable is required");
  const argv = ["set-env", "-p", potName];
  for (const [name, value] of entries) {
    if (!isValidEnvName(name)) refuse("set-env", `${JSON.stringify(name)} is not a valid environment variable name`);
    if (!isValidEnvValue(value)) refuse("set-env", `value of ${name} ${ENV_VALUE_RULE}`);
    argv.push("-E", `${name}=${value}`);
  }
  return argv;
}

/** set-hosts replaces the whole pot.hosts set (docs/pot-behaviour.md); pot splits each entry at its first `:`. */
export function setHostsArgv(potName: string, hosts: readonly HostEntry[]): string[] {
  requirePotName("set-hosts", potName);
  if (hosts.length === 0) refuse("set-hosts", "at least one host entry is required");
  const argv = ["set-hosts", "-p", potName];
  for (const { hostname, ip } of hosts) {
    if (hostname === "" || hostname.includes(":") || /\s/.test(hostname)) {
      refuse("set-hosts", `${JSON.stringify(hostname)} is not a valid hostname`);
    }
    if (ip === "" || /\s/.test(ip)) refuse("set-hosts", `${JSON.stringify(ip)} is not a valid ip`);
    argv.push("-H", `${hostname}:${ip}`);
  }
  return argv;
}

export function setRssArgv(potName: string, limits: RssLimits): string[] {
  requirePotName("set-rss", potName);
  const argv = ["set-rss", "-p", potName];
  if (limits.memoryMb === undefined && limits.cpus === undefined) refuse("set-rss", "one resource has to be specified");
  if (limits.memoryMb !== undefined) {
    if (!Number.isSafeInteger(limits.memoryMb) || limits.memoryMb <= 0 || limits.memoryMb > MEMORY_MAX_MB) {
      refuse("set-rss", `${limits.memoryMb} is not a valid amount of memory in MB`);
    }
    argv.push("-M", `${limits.memoryMb}M`);
  }
  if (limits.cpus !== undefined) {
    if (!Number.isSafeInteger(limits.cpus) || limits.cpus <= 0) refuse("set-rss", `${limits.cpus} is not a valid amount of CPUs`);
    argv.push("-C", String(limits.cpus));
  }
  return argv;
}

export function infoArgv(potName: string, options: { verbose?: boolean } = {}): string[] {
  requirePotName("info", potName);
  return options.verbose === true ? ["info", "-v", "-p", potName] : ["info", "-p", potName];
}

/** `info -r`: exit 0 iff the jail exists. */
export function isRunningArgv(potName: string): string[] {
  requirePotName("info", potName);
  return ["info", "-r", "-p", potName];
}

/** `info -q`: exit 0 iff the name is a pot. */
export function existsArgv(potName: string): string[] {
  requirePotName("info", potName);
  return ["info", "-q", "-p", potName];
}

export function listArgv(): string[] {
  return ["ls", "-q"];
}

/** `ls -B -q`: the private bridges, one name a line. */
export function listBridgesArgv(): string[] {
  return ["ls", "-B", "-q"];
}

/** `config -q -g <name>`: one framework setting, value only (docs/pot-behaviour.md, "Configuration and state files"). */
export function configArgv(name: "fs_root" | "zfs_root" | "gateway" | "network_stack"): string[] {
  return ["config", "-q", "-g", name];
}

/** `signal` accepts names as `killall -l` lists them, with or without `SIG` (case matters). */
export function signalArgv(potName: string, signal: string, options: SignalOptions = {}): string[] {
  requirePotName("signal", potName);
  if (!/^(SIG)?[A-Z][A-Z0-9]*$/.test(signal)) refuse("signal", `${JSON.stringify(signal)} is not a signal name`);
  const argv = ["signal", "-s", signal];
  if (options.dryRun === true) argv.push("-C");
  if (options.pid !== undefined) {
    if (!Number.isSafeInteger(options.pid) || options.pid <= 0) refuse("signal", `${options.pid} is not a pid`);
    argv.push("-P", String(options.pid));
  }
  argv.push("-p", potName);
  return argv;
}

/** `--` ends pot's option parsing, so a command starting with `-` is still the command. */
export function execArgv(potName: string, command: readonly string[], options: ExecOptions = {}): string[] {
  requirePotName("exec", potName);
  if (command.length === 0 || command[0] === "") refuse("exec", "a command is mandatory");
  // pot runs the command as `env VAR=value… <command>`, and env(1) would take such a first word as one more
  // assignment or as its own option (docs/pot-behaviour.md, "Exec").
  const first = command[0] ?? "";
  if (first.includes("="))
    refuse("exec", `the command ${JSON.stringify(first)} contains "=": env(1) in the jail would read it as a variable assignment`);
  if (first.startsWith("-"))
    refuse("exec", `the command ${JSON.stringify(first)} starts with "-": env(1) in the jail would read it as its own option`);
  const argv = ["exec", "-p", potName];
  if (options.tty === true) argv.push("-t");
  if (options.detach === true) argv.push("-d");
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (name === "" || name.includes("=")) refuse("exec", `${JSON.stringify(name)} is not a valid environment variable name`);
    argv.push("-e", `${name}=${value}`);
  }
  argv.push("--", ...command);
  return argv;
}

export function startArgv(potName: string): string[] {
  requirePotName("start", potName);
  return ["start", "-p", potName];
}

export function stopArgv(potName: string): string[] {
  requirePotName("stop", potName);
  return ["stop", "-p", potName];
}

/**
 * `pot set-status -p <pot> -s <status>`: pot's own status transition (set-status.sh), used only to release a pot
 * a dead `pot start` left `starting` or `stopping` (docs/pot-behaviour.md, "Half-started pots").
 */
export function setStatusArgv(potName: string, status: "doa" | "stopped"): string[] {
  requirePotName("set-status", potName);
  return ["set-status", "-p", potName, "-s", status];
}

export function destroyArgv(potName: string, options: { force?: boolean } = {}): string[] {
  requirePotName("destroy", potName);
  return options.force === true ? ["destroy", "-F", "-p", potName] : ["destroy", "-p", potName];
}

export function lastRunStatsArgv(potName: string): string[] {
  requirePotName("last-run-stats", potName);
  return ["last-run-stats", "-p", potName];
}

/** `[proto:]potport[:hostport]`, each port an integer in 1…65535 (network.sh `_is_export_port_valid`). */
export function portSpec(verb: string, port: PortExport): string {
  const valid = (n: number | undefined) => n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!valid(port.potPort)) refuse(verb, `${port.potPort} is not a valid port number`);
  if (port.hostPort !== undefined && !valid(port.hostPort)) refuse(verb, `${port.hostPort} is not a valid port number`);
  const proto = port.protocol === undefined ? "" : `${port.protocol}:`;
  return port.hostPort === undefined ? `${proto}${port.potPort}` : `${proto}${port.potPort}:${port.hostPort}`;
}

/**
 * set-cmd strips one leading `"` and then one trailing `"` (common.sh `_set_command`); wrapping the command in
 * quotes makes it arrive verbatim, including a command that itself starts or ends with a quote.
 */
function quoteCommand(verb: string, command: string): string {
  if (command.trim() === "") refuse(verb, "a command is mandatory");
  if (!NO_NEWLINE.test(command)) refuse(verb, "the command contains a newline (pot.cmd is one line)");
  return `"${command}"`;
}

function requirePotName(verb: string, potName: string): void {
  if (!isSafePotName(potName)) refuse(verb, `${JSON.stringify(potName)} is not a safe pot name`);
}

function requireToken(verb: string, what: string, value: string): void {
  if (value === "" || /\s/.test(value)) refuse(verb, `${what} ${JSON.stringify(value)} is empty or contains whitespace`);
}

function requireAbsolute(verb: string, what: string, path: string): void {
  if (!path.startsWith("/")) refuse(verb, `the ${what} has to be an absolute pathname: ${JSON.stringify(path)}`);
  if (!NO_NEWLINE.test(path)) refuse(verb, `the ${what} contains a newline`);
}

function refuse(verb: string, message: string): never {
  throw new PotError(`failed to build pot ${verb}: ${message}`, { kind: "invalid-argument", argv: [verb], exitCode: null });
}
