// The doctor's checks (cli layer, pure): each one turns probe results into pass/warn/fail/skip with a fix.
//
// Nothing here touches the host. doctor-probe.ts gathers a HostProbe; every check reads only that record, so
// each is a table-testable function. A check that cannot know (a probe that did not run) says skip or warn with
// its reason; it never reports pass without evidence.
import { MIN_POT_VERSION, MIN_POT_VERSION_REASON } from "../driver/fingerprint.ts";
import { compareVersions, parseVersion } from "../pot/parse.ts";
import type { PluginBlock } from "./agent-config.ts";
import { nomadArgsPaths, parseEnvList, type RcAssignment } from "./rc-conf.ts";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** Short name shown in the CHECK column. */
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** How one external command ended. */
export interface CommandOutcome {
  argv: readonly string[];
  /** Exit status; null when it could not be spawned, timed out or died by a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why it could not be spawned (e.g. no such file). */
  spawnError?: string;
}

/** What lstat/stat/access said about a path. */
export interface PathFacts {
  path: string;
  kind: "file" | "dir" | "symlink" | "other" | "missing";
  /** Permission bits of the target (after following a symlink). */
  mode?: number;
  executable?: boolean;
  /** realpath, when it resolves. */
  realPath?: string;
  /** An error other than "does not exist" (e.g. EACCES). */
  error?: string;
}

/** A file that was read (or not). */
export interface TextFile {
  path: string;
  text?: string;
  /** "missing" when it does not exist; any other read error as text. */
  error?: string;
}

export interface AgentConfigFile extends TextFile {
  pluginBlocks: PluginBlock[];
  pluginDir?: string;
  dataDir?: string;
}

export type SettingSource = "flag" | "agent config" | "nomad_args" | "default";

export interface Setting {
  value: string;
  source: SettingSource;
  /** The file the value came from, for "agent config". */
  file?: string;
}

/** The paths the doctor checks and where each came from. */
export interface DoctorSettings {
  potPath: Setting;
  /** The plugin's `path` option: the PATH the driver gives pot and the tools pot runs. */
  childPath: Setting;
  stateDir: Setting;
  pluginDir: Setting;
  /** The agent configuration paths (files or directories) that were searched. */
  agentConfigPaths: Setting[];
  /** The rc.conf files read, in the order sh would source them. */
  rcConfPaths: string[];
}

/** One executable in the plugin directory that could be this driver. */
export interface PluginCandidate {
  name: string;
  facts: PathFacts;
  /** `<candidate> version`, when it is not this very file. */
  version?: CommandOutcome;
}

export interface HostProbe {
  /** process.platform of the host. */
  platform: string;
  /** Effective uid, when the platform has one. */
  uid?: number;
  settings: DoctorSettings;
  self: { version: string; realPath?: string };
  pot: {
    facts: PathFacts;
    /** `pot version -q`; absent when pot is not executable. */
    version?: CommandOutcome;
    /** `pot config -q -g fs_root`. */
    fsRoot?: CommandOutcome;
    fsRootDir?: PathFacts;
    /** `pot config -q -g zfs_root`. */
    zfsRoot?: CommandOutcome;
    /** `pot ls -q`, run when `pot config` failed: pot's root-dir pre-check decides its exit (docs/pot-behaviour.md). */
    list?: CommandOutcome;
  };
  /** FreeBSD only. */
  zfs?: { list?: CommandOutcome; kldstat: CommandOutcome };
  /** FreeBSD only: `sysctl -n kern.racct.enable`, `sysctl -n kern.features.vimage`. */
  sysctl?: { racct: CommandOutcome; vimage: CommandOutcome };
  /** FreeBSD only: `pfctl -s Anchors` and the pf rules file. */
  pf?: { anchors: CommandOutcome; conf: TextFile };
  pluginDir: { facts: PathFacts; candidates: PluginCandidate[] };
  /** Each of pot's helpers (POT_HELPERS) looked up through settings.childPath: where it was found, if anywhere. */
  helpers: Array<{ name: string; use: string; found?: string }>;
  agentConfigs: AgentConfigFile[];
  rcConf: TextFile[];
  /** Merged rc.conf variables (later files override earlier ones). */
  rcVars: Map<string, RcAssignment & { file: string }>;
  stateDir: {
    facts: PathFacts;
    /** Result of creating and removing a file in it: undefined = not tried, "" = worked, else the error. */
    writeTest?: string;
    /** Whether the nearest existing ancestor is writable (when the state dir does not exist). */
    ancestorWritable?: boolean;
  };
}

/** The plugin block names Nomad would match to this driver's executable. */
export const PLUGIN_NAMES = ["pot-task-driver", "nomad-pot-driver"] as const;

export const DEFAULT_PF_CONF = "/etc/pf.conf";

const REQUIRED_PATH_DIRS = ["/usr/local/bin", "/usr/local/sbin"];
const ROOT_ENV = 'nomad_env="PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/sbin:/bin"';

function freebsdOnly(probe: HostProbe, check: string): CheckResult | undefined {
  if (probe.platform === "freebsd") return undefined;
  return { check, status: "skip", detail: `FreeBSD only; this host runs ${probe.platform}` };
}

/** A FreeBSD-only check's skip on another host or when `part` of the probe did not run; else that part. */
function freebsdProbed<P>(probe: HostProbe, check: string, part: P | undefined): { skip: CheckResult } | { part: P } {
  const skipped = freebsdOnly(probe, check);
  if (skipped) return { skip: skipped };
  return part === undefined ? { skip: { check, status: "skip", detail: "not probed" } } : { part };
}

/** The trimmed stderr (else stdout, else spawn error) of a failed command, for a detail line. */
export function failureText(outcome: CommandOutcome): string {
  if (outcome.spawnError !== undefined) return outcome.spawnError;
  if (outcome.timedOut) return `timed out: ${outcome.argv.join(" ")}`;
  const text = (outcome.stderr.trim() || outcome.stdout.trim()).split("\n").slice(-3).join(" / ");
  const status = outcome.exitCode === null ? "killed" : `exit ${outcome.exitCode}`;
  return text === "" ? `${outcome.argv.join(" ")}: ${status}` : `${text} (${status})`;
}

const succeeded = (outcome: CommandOutcome | undefined): outcome is CommandOutcome =>
  outcome !== undefined && outcome.exitCode === 0 && !outcome.timedOut;

function potUsable(probe: HostProbe): boolean {
  return probe.pot.facts.kind === "file" && probe.pot.facts.executable === true;
}

export function checkUser(probe: HostProbe): CheckResult {
  const check = "user";
  if (probe.uid === undefined) return { check, status: "skip", detail: "this platform has no uid" };
  if (probe.uid === 0) return { check, status: "pass", detail: "running as root" };
  return {
    check,
    status: "warn",
    detail: `running as uid ${probe.uid}: pfctl and some pot commands need root, so some results may be wrong`,
    fix: "run the doctor as root, as Nomad runs the driver",
  };
}

export function checkPot(probe: HostProbe): CheckResult {
  const check = "pot";
  const { facts } = probe.pot;
  const where = describeSetting("pot_path", probe.settings.potPath);
  const fix = `pkg install pot, or set pot_path in the plugin config (${where})`;
  if (facts.kind === "missing") return { check, status: "fail", detail: `${facts.path} does not exist`, fix };
  if (facts.error !== undefined) return { check, status: "fail", detail: `${facts.path}: ${facts.error}`, fix };
  if (facts.kind !== "file") return { check, status: "fail", detail: `${facts.path} is not a file`, fix };
  if (facts.executable !== true) {
    return { check, status: "fail", detail: `${facts.path} is not executable`, fix: `chmod 0755 ${facts.path}` };
  }
  return { check, status: "pass", detail: `${facts.path} is executable` };
}

export function checkPotVersion(probe: HostProbe): CheckResult {
  const check = "pot version";
  const outcome = probe.pot.version;
  if (!potUsable(probe) || outcome === undefined) return { check, status: "skip", detail: "pot is not available" };
  if (!succeeded(outcome)) {
    return { check, status: "fail", detail: `pot version -q failed: ${failureText(outcome)}`, fix: "reinstall pot (pkg install -f pot)" };
  }
  const parsed = parseVersion(outcome.stdout);
  if (!parsed.ok) return { check, status: "fail", detail: parsed.reason, fix: "reinstall pot (pkg install -f pot)" };
  const version = parsed.value;
  const minimum = parseVersion(MIN_POT_VERSION);
  if (!minimum.ok) throw new Error("bad version constant");
  const range = `${MIN_POT_VERSION} required`;
  if (compareVersions(version, minimum.value) < 0) {
    return {
      check,
      status: "fail",
      detail: `pot ${version.text} is too old (${range}): ${MIN_POT_VERSION_REASON}`,
      fix: "pkg upgrade pot",
    };
  }
  return { check, status: "pass", detail: `pot ${version.text} (${range})` };
}

export function checkPotInit(probe: HostProbe): CheckResult {
  const check = "pot init";
  const outcome = probe.pot.fsRoot;
  if (!potUsable(probe) || outcome === undefined) return { check, status: "skip", detail: "pot is not available" };
  const fix = "pot init (as root)";
  if (succeeded(outcome)) {
    const fsRoot = outcome.stdout.trim();
    const dir = probe.pot.fsRootDir;
    if (dir === undefined || dir.kind !== "dir") {
      return { check, status: "fail", detail: `pot's fs_root ${fsRoot} is not a directory`, fix };
    }
    return { check, status: "pass", detail: `fs_root ${fsRoot} exists` };
  }
  // Every pot command but init, de-init and version first checks that fs_root is a directory.
  const list = probe.pot.list;
  if (succeeded(list)) return { check, status: "pass", detail: "pot ls works, so fs_root exists (pot config -g fs_root failed)" };
  const why = list === undefined ? failureText(outcome) : failureText(list);
  return { check, status: "fail", detail: `pot is not initialised: ${why}`, fix };
}

export function checkZfs(probe: HostProbe): CheckResult {
  const check = "zfs";
  const probed = freebsdProbed(probe, check, probe.zfs);
  if ("skip" in probed) return probed.skip;
  const zfs = probed.part;
  const dataset = succeeded(probe.pot.zfsRoot) ? probe.pot.zfsRoot.stdout.trim() : undefined;
  if (dataset !== undefined && succeeded(zfs.list)) return { check, status: "pass", detail: `pot's dataset ${dataset} exists` };
  const loaded = succeeded(zfs.kldstat);
  if (!loaded) {
    return {
      check,
      status: "fail",
      detail: "the zfs kernel module is not loaded",
      fix: 'sysrc zfs_enable="YES" && service zfs start (pot keeps every jail on ZFS)',
    };
  }
  if (dataset === undefined) {
    return { check, status: "warn", detail: "ZFS is loaded, but pot's zfs_root is unknown (pot config failed)", fix: "pot init (as root)" };
  }
  const why = zfs.list === undefined ? "was not checked" : `is missing: ${failureText(zfs.list)}`;
  return { check, status: "fail", detail: `ZFS is loaded, but pot's dataset ${dataset} ${why}`, fix: "pot init (as root)" };
}

export function checkRacct(probe: HostProbe): CheckResult {
  const check = "rctl";
  const probed = freebsdProbed(probe, check, probe.sysctl?.racct);
  if ("skip" in probed) return probed.skip;
  const fix = "add kern.racct.enable=1 to /boot/loader.conf and reboot";
  const outcome = probed.part;
  if (!succeeded(outcome)) {
    return { check, status: "warn", detail: `kern.racct.enable is not available: ${failureText(outcome)}`, fix };
  }
  const value = outcome.stdout.trim();
  if (value === "1") return { check, status: "pass", detail: "kern.racct.enable=1: memory limits and rctl usage work" };
  return {
    check,
    status: "warn",
    detail: `kern.racct.enable=${value}: tasks run, but memory limits are not enforced and pot get-rss fails`,
    fix,
  };
}

export function checkVimage(probe: HostProbe): CheckResult {
  const check = "vimage";
  const probed = freebsdProbed(probe, check, probe.sysctl?.vimage);
  if ("skip" in probed) return probed.skip;
  const outcome = probed.part;
  if (succeeded(outcome) && outcome.stdout.trim() === "1") {
    return { check, status: "pass", detail: "kern.features.vimage=1: public-bridge and private-bridge work" };
  }
  const seen = succeeded(outcome) ? `kern.features.vimage=${outcome.stdout.trim()}` : "kern.features.vimage is not set";
  return {
    check,
    status: "fail",
    detail: `${seen}: tasks with network_mode public-bridge (the default) cannot start`,
    fix: "boot a kernel with options VIMAGE (GENERIC has it since FreeBSD 12)",
  };
}

/** pfctl lists loaded top-level anchors one per line ("  pot-nat", "  pot-rdr" or "  pot-rdr/<pot>"). */
function anchorsListed(stdout: string): { nat: boolean; rdr: boolean } {
  const names = stdout.split("\n").map((line) => line.trim());
  return { nat: names.includes("pot-nat"), rdr: names.some((name) => name === "pot-rdr" || name.startsWith("pot-rdr/")) };
}

/** The two lines `pot init` puts at the top of pf.conf (docs/pot-behaviour.md, init). */
function anchorsConfigured(text: string): { nat: boolean; rdr: boolean } {
  return {
    nat: /^[ \t]*nat-anchor[ \t]+"?pot-nat"?[ \t]*(#.*)?$/m.test(text),
    rdr: /^[ \t]*rdr-anchor[ \t]+"pot-rdr\/\*"[ \t]*(#.*)?$/m.test(text),
  };
}

export function checkPfAnchors(probe: HostProbe): CheckResult {
  const check = "pf anchors";
  const probed = freebsdProbed(probe, check, probe.pf);
  if ("skip" in probed) return probed.skip;
  const pf = probed.part;
  if (succeeded(pf.anchors)) {
    const listed = anchorsListed(pf.anchors.stdout);
    if (listed.nat && listed.rdr) return { check, status: "pass", detail: "pfctl lists the pot-nat and pot-rdr anchors" };
  }
  const configured = pf.conf.text === undefined ? { nat: false, rdr: false } : anchorsConfigured(pf.conf.text);
  if (configured.nat && configured.rdr) {
    const seen = succeeded(pf.anchors) ? "pfctl does not list them" : `pfctl -s Anchors failed: ${failureText(pf.anchors)}`;
    return {
      check,
      status: "warn",
      detail: `${pf.conf.path} has the pot anchors, but ${seen}`,
      fix: 'sysrc pf_enable="YES" && service pf start (or service pf reload)',
    };
  }
  const missing = [configured.nat ? undefined : "nat-anchor pot-nat", configured.rdr ? undefined : 'rdr-anchor "pot-rdr/*"']
    .filter((line) => line !== undefined)
    .join(" and ");
  const where =
    pf.conf.text === undefined
      ? `${pf.conf.path} is not readable (${pf.conf.error ?? "unknown error"})`
      : `${pf.conf.path} lacks ${missing}`;
  return {
    check,
    status: "fail",
    detail: `${where}: public-bridge tasks get no NAT and no port redirects`,
    fix: "pot init (adds both anchors to the top of pf.conf), then service pf restart",
  };
}

export function checkPluginDir(probe: HostProbe): CheckResult {
  const check = "plugin dir";
  const { facts, candidates } = probe.pluginDir;
  const dir = facts.path;
  const where = describeSetting("plugin_dir", probe.settings.pluginDir);
  const install = `pkg install pot-task-driver, or copy this executable to ${dir}/pot-task-driver`;
  if (facts.kind !== "dir") {
    const what = facts.kind === "missing" ? "does not exist" : (facts.error ?? "is not a directory");
    return { check, status: "fail", detail: `${dir} ${what} (${where})`, fix: install };
  }
  const ours: string[] = [];
  const others: string[] = [];
  for (const candidate of candidates) {
    if (candidate.facts.kind === "missing") continue;
    if (candidate.facts.executable !== true) {
      others.push(`${candidate.name} is not executable`);
      continue;
    }
    if (probe.self.realPath !== undefined && candidate.facts.realPath === probe.self.realPath) {
      ours.push(`${candidate.name} is this executable`);
      continue;
    }
    const reported = succeeded(candidate.version) ? /^pot-task-driver (\S+)$/m.exec(candidate.version.stdout)?.[1] : undefined;
    if (reported === probe.self.version) ours.push(`${candidate.name} is pot-task-driver ${reported}`);
    else if (reported !== undefined) others.push(`${candidate.name} is pot-task-driver ${reported}, not ${probe.self.version}`);
    else others.push(`${candidate.name} is not this driver (the old Go nomad-pot-driver?)`);
  }
  if (ours.length > 0) {
    const detail = [`${dir}: ${ours.join(", ")}`, ...others].join("; ");
    return others.length === 0 ? { check, status: "pass", detail } : { check, status: "warn", detail, fix: install };
  }
  if (others.length > 0) return { check, status: "warn", detail: `${dir}: ${others.join("; ")}`, fix: install };
  return { check, status: "fail", detail: `${dir} has neither ${PLUGIN_NAMES.join(" nor ")}`, fix: install };
}

const BLOCK_EXAMPLE = 'plugin "pot-task-driver" { config { pot_path = "/usr/local/bin/pot" } } (see pkg-message)';

export function checkAgentPluginBlock(probe: HostProbe): CheckResult {
  const check = "agent config";
  const searched = probe.settings.agentConfigPaths.map((setting) => setting.value).join(", ");
  const readable = probe.agentConfigs.filter((file) => file.text !== undefined);
  if (readable.length === 0) {
    const errors = probe.agentConfigs.filter((file) => file.error !== undefined && file.error !== "missing");
    const why = errors.length > 0 ? errors.map((file) => `${file.path}: ${file.error}`).join("; ") : `nothing found at ${searched}`;
    const fix = "pass --agent-config FILE|DIR (the agent's -config)";
    return { check, status: "warn", detail: `no agent configuration read (${why})`, fix };
  }
  const blocks = readable.flatMap((file) =>
    file.pluginBlocks
      .filter((block) => (PLUGIN_NAMES as readonly string[]).includes(block.name))
      .map((block) => ({ file: file.path, block })),
  );
  if (blocks.length === 0) {
    const broken = readable.filter((file) => file.error !== undefined).map((file) => `${file.path}: ${file.error}`);
    return {
      check,
      status: "fail",
      detail:
        `no plugin "pot-task-driver" or "nomad-pot-driver" block in ${readable.map((file) => file.path).join(", ")}` +
        (broken.length > 0 ? ` (${broken.join("; ")})` : ""),
      fix: `add ${BLOCK_EXAMPLE}`,
    };
  }
  const present = new Set(probe.pluginDir.candidates.filter((c) => c.facts.kind !== "missing").map((c) => c.name));
  const problems: string[] = [];
  for (const { block } of blocks) {
    if (block.config.enabled === "false") {
      problems.push(`plugin "${block.name}" has enabled = false (the driver reports itself undetected)`);
    }
    if (probe.pluginDir.facts.kind === "dir" && !present.has(block.name)) {
      problems.push(`plugin "${block.name}" names a file that is not in ${probe.pluginDir.facts.path}`);
    }
  }
  const found = blocks.map(({ file, block }) => `plugin "${block.name}" in ${file}${block.line > 0 ? `:${block.line}` : ""}`).join(", ");
  if (problems.length > 0) {
    const fix = "set enabled = true and name the block after a file in plugin_dir";
    return { check, status: "warn", detail: `${found}; ${problems.join("; ")}`, fix };
  }
  return { check, status: "pass", detail: found };
}

/**
 * The agent's data_dir as the FreeBSD rc script starts it: `-data-dir` in nomad_args, else `nomad_dir` from rc.conf
 * (the script passes `-data-dir=${nomad_dir}`), else the last data_dir in the files; undefined when none is known.
 */
function agentDataDir(probe: HostProbe): { value: string; where: string } | undefined {
  const args = probe.rcVars.get("nomad_args");
  const fromArgs = args === undefined ? undefined : nomadArgsPaths(args.value).dataDir;
  if (fromArgs !== undefined) return { value: fromArgs, where: "nomad_args -data-dir" };
  const nomadDir = probe.rcVars.get("nomad_dir");
  if (nomadDir !== undefined && nomadDir.value !== "") return { value: nomadDir.value, where: `nomad_dir in ${nomadDir.file}` };
  const file = probe.agentConfigs.filter((f) => f.text !== undefined && f.dataDir !== undefined).at(-1);
  return file === undefined ? undefined : { value: file.dataDir as string, where: file.path };
}

export function checkAgentPluginDir(probe: HostProbe): CheckResult {
  const check = "agent plugin_dir";
  const readable = probe.agentConfigs.filter((file) => file.text !== undefined);
  const fromArgs = probe.rcVars.get("nomad_args");
  const argsDir = fromArgs === undefined ? undefined : nomadArgsPaths(fromArgs.value).pluginDir;
  const configured = readable.filter((file) => file.pluginDir !== undefined);
  const expected = probe.pluginDir.facts.path;
  // The agent flag overrides the files; among files the last one read wins.
  const effective =
    argsDir !== undefined
      ? { value: argsDir, where: "nomad_args -plugin-dir" }
      : configured.length > 0
        ? { value: configured.at(-1)?.pluginDir as string, where: configured.at(-1)?.path as string }
        : undefined;
  if (effective === undefined) {
    if (readable.length === 0) return { check, status: "skip", detail: "no agent configuration read" };
    const dataDir = agentDataDir(probe);
    const fallback = dataDir === undefined ? undefined : `${stripSlash(dataDir.value)}/plugins`;
    if (fallback !== undefined && fallback === stripSlash(expected)) {
      const detail = `plugin_dir is not set; Nomad uses <data_dir>/plugins = ${fallback} (data_dir from ${dataDir?.where})`;
      return { check, status: "pass", detail };
    }
    const where = fallback === undefined ? "<data_dir>/plugins" : `${fallback} (data_dir from ${dataDir?.where})`;
    return {
      check,
      status: "fail",
      detail: `plugin_dir is not set, so Nomad looks for plugins in ${where}, not in ${expected}`,
      fix: `add plugin_dir = "${expected}" to the agent configuration`,
    };
  }
  if (stripSlash(effective.value) !== stripSlash(expected)) {
    return {
      check,
      status: "warn",
      detail: `the agent uses plugin_dir ${effective.value} (${effective.where}), but ${expected} was checked`,
      fix: `re-run with --plugin-dir ${effective.value}, or set plugin_dir = "${expected}"`,
    };
  }
  return { check, status: "pass", detail: `plugin_dir = "${effective.value}" (${effective.where})` };
}

function rcConfRead(probe: HostProbe): boolean {
  return probe.rcConf.some((file) => file.text !== undefined);
}

function rcConfMissing(probe: HostProbe, check: string): CheckResult {
  const files = probe.rcConf.map((file) => file.path).join(", ") || "(none)";
  if (probe.platform !== "freebsd") return { check, status: "skip", detail: `no rc.conf read (${files}); rc.conf is FreeBSD's` };
  return { check, status: "fail", detail: `no rc.conf could be read (${files})`, fix: "pass --rc-conf FILE" };
}

export function checkRcUser(probe: HostProbe): CheckResult {
  const check = "rc.conf nomad_user";
  if (!rcConfRead(probe)) return rcConfMissing(probe, check);
  const user = probe.rcVars.get("nomad_user");
  const fix = 'sysrc nomad_user="root" (pot and jail(8) need root)';
  if (user === undefined) return { check, status: "fail", detail: "nomad_user is not set: the rc script runs Nomad as user nomad", fix };
  if (user.value !== "root") return { check, status: "fail", detail: `nomad_user="${user.value}" (${user.file}:${user.line})`, fix };
  return { check, status: "pass", detail: `nomad_user="root" (${user.file}:${user.line})` };
}

export function checkRcEnv(probe: HostProbe): CheckResult {
  const check = "rc.conf nomad_env";
  if (!rcConfRead(probe)) return rcConfMissing(probe, check);
  const env = probe.rcVars.get("nomad_env");
  const fix = `sysrc ${ROOT_ENV}`;
  if (env === undefined) {
    const detail = "nomad_env is not set: Nomad's PATH lacks /usr/local/bin, where pot and its helpers live";
    return { check, status: "fail", detail, fix };
  }
  const path = parseEnvList(env.value).get("PATH");
  if (path === undefined) return { check, status: "fail", detail: `nomad_env sets no PATH (${env.file}:${env.line})`, fix };
  const dirs = path.split(":").map(stripSlash);
  const missing = REQUIRED_PATH_DIRS.filter((dir) => !dirs.includes(dir));
  if (missing.length > 0) {
    return { check, status: "fail", detail: `nomad_env PATH lacks ${missing.join(" and ")} (${env.file}:${env.line})`, fix };
  }
  return { check, status: "pass", detail: `nomad_env PATH has ${REQUIRED_PATH_DIRS.join(" and ")} (${env.file}:${env.line})` };
}

export function checkPotHelpers(probe: HostProbe): CheckResult {
  const check = "pot helpers";
  const skipped = freebsdOnly(probe, check);
  if (skipped) return skipped;
  const where = describeSetting("path", probe.settings.childPath);
  const missing = probe.helpers.filter((helper) => helper.found === undefined);
  if (missing.length > 0) {
    const list = missing.map((helper) => `${helper.name} (${helper.use})`).join(", ");
    return {
      check,
      status: "fail",
      detail: `not found through PATH ${probe.settings.childPath.value} (${where}): ${list}`,
      fix: "pkg install potnet (potnet, potcpu), or add their directories to the plugin's path option",
    };
  }
  return { check, status: "pass", detail: `${probe.helpers.map((helper) => helper.name).join(", ")} found through PATH (${where})` };
}

export function checkStateDir(probe: HostProbe): CheckResult {
  const check = "state dir";
  const { facts, writeTest, ancestorWritable } = probe.stateDir;
  const where = describeSetting("state_dir", probe.settings.stateDir);
  if (facts.kind === "missing") {
    if (ancestorWritable === true) {
      return {
        check,
        status: "warn",
        detail: `${facts.path} does not exist yet; the driver creates it at the first task start (${where})`,
        fix: `install -d -m 0700 ${facts.path}`,
      };
    }
    const detail = `${facts.path} does not exist and cannot be created (${where})`;
    return { check, status: "fail", detail, fix: `install -d -m 0700 ${facts.path} (as root)` };
  }
  if (facts.error !== undefined) {
    return { check, status: "fail", detail: `${facts.path}: ${facts.error}`, fix: `check the permissions of ${facts.path}` };
  }
  if (facts.kind !== "dir") {
    return { check, status: "fail", detail: `${facts.path} is not a directory (${where})`, fix: "remove it, or set state_dir elsewhere" };
  }
  if (writeTest === undefined) return { check, status: "skip", detail: `${facts.path} exists; writing was not tried` };
  if (writeTest !== "") {
    const fix = `chown root ${facts.path}; chmod 0700 ${facts.path}`;
    return { check, status: "fail", detail: `${facts.path} is not writable: ${writeTest}`, fix };
  }
  return { check, status: "pass", detail: `${facts.path} is writable (${where})` };
}

/** Every check, in the order the table shows them. */
export const CHECKS: ReadonlyArray<(probe: HostProbe) => CheckResult> = [
  checkUser,
  checkPot,
  checkPotVersion,
  checkPotInit,
  checkZfs,
  checkRacct,
  checkVimage,
  checkPfAnchors,
  checkPluginDir,
  checkAgentPluginBlock,
  checkAgentPluginDir,
  checkRcUser,
  checkRcEnv,
  checkPotHelpers,
  checkStateDir,
];

export function runChecks(probe: HostProbe): CheckResult[] {
  return CHECKS.map((check) => check(probe));
}

/** 1 when any check failed, else 0. */
export function exitCodeFor(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === "fail") ? 1 : 0;
}

function describeSetting(name: string, setting: Setting): string {
  switch (setting.source) {
    case "flag":
      return `${name} from the command line`;
    case "agent config":
      return `${name} from ${setting.file ?? "the agent configuration"}`;
    case "nomad_args":
      return `${name} from nomad_args`;
    case "default":
      return `${name} default`;
  }
}

function stripSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
