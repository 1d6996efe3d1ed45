// The doctor's probes (cli layer): reads files and runs commands (argv arrays, each with a deadline) to build
// the HostProbe record that doctor-checks.ts judges. It draws no conclusions itself.
import { randomBytes } from "node:crypto";
import { type Stats, constants as fsConstants } from "node:fs";
import { access, lstat, open, readFile, readdir, realpath, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { POT_HELPERS } from "../pot/helpers.ts";
import type { CommandRunner } from "../pot/runner.ts";
import { scanAgentConfig } from "./agent-config.ts";
import {
  type AgentConfigFile,
  DEFAULT_PF_CONF,
  type HostProbe,
  type PathFacts,
  PLUGIN_NAMES,
  type PluginCandidate,
  type Setting,
  type TextFile,
} from "./doctor-checks.ts";
import { agentConfigPaths, type DoctorFlags, rcConfFiles, resolvePaths } from "./doctor-settings.ts";
import { parseRcConf, type RcAssignment } from "./rc-conf.ts";
import { runCommand } from "./run-command.ts";
import { describeError } from "../log/logger.ts";
import { errnoOf, isErrno } from "../support/errno.ts";

/** FreeBSD base system tools, by absolute path so that the doctor's own PATH does not matter. */
export const FREEBSD_TOOLS = {
  sysctl: "/sbin/sysctl",
  kldstat: "/sbin/kldstat",
  zfs: "/sbin/zfs",
  pfctl: "/sbin/pfctl",
} as const;

export interface ProbeContext {
  platform: string;
  uid?: number;
  runner: CommandRunner;
  /** This executable, to recognise it in the plugin directory. */
  selfPath: string;
  selfVersion: string;
  /** Deadline of each command. */
  commandTimeoutMs: number;
}

/** lstat, stat, access(X_OK) and realpath of a path. Never throws. */
export async function pathFacts(path: string): Promise<PathFacts> {
  let link: Stats;
  try {
    link = await lstat(path);
  } catch (err) {
    const absent = isErrno(err, "ENOENT", "ENOTDIR");
    return absent ? { path, kind: "missing" } : { path, kind: "other", error: describeError(err) };
  }
  const kind = link.isSymbolicLink() ? "symlink" : link.isDirectory() ? "dir" : link.isFile() ? "file" : "other";
  const facts: PathFacts = { path, kind };
  try {
    const target = await stat(path);
    facts.kind = target.isDirectory() ? "dir" : target.isFile() ? "file" : facts.kind === "symlink" ? "other" : facts.kind;
    facts.mode = target.mode & 0o7777;
    facts.realPath = await realpath(path);
  } catch (err) {
    if (facts.kind === "symlink") facts.kind = "missing";
    else facts.error = describeError(err);
    return facts;
  }
  facts.executable = await access(path, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
  return facts;
}

async function readText(path: string): Promise<TextFile> {
  try {
    return { path, text: await readFile(path, "utf8") };
  } catch (err) {
    return { path, error: errnoOf(err) === "ENOENT" ? "missing" : describeError(err) };
  }
}

/** The files an agent `-config` path stands for: the file itself, or a directory's *.hcl and *.json, sorted. */
async function agentConfigFiles(setting: Setting): Promise<AgentConfigFile[]> {
  const facts = await pathFacts(setting.value);
  let paths = [setting.value];
  if (facts.kind === "dir") {
    const names = await readdir(setting.value).catch(() => [] as string[]);
    paths = names
      .filter((name) => name.endsWith(".hcl") || name.endsWith(".json"))
      .sort()
      .map((name) => join(setting.value, name));
    if (paths.length === 0) return [{ path: setting.value, error: "missing", pluginBlocks: [] }];
  }
  const files: AgentConfigFile[] = [];
  for (const path of paths) {
    const file = await readText(path);
    if (file.text === undefined) {
      files.push({ ...file, pluginBlocks: [] });
      continue;
    }
    const scan = scanAgentConfig(file.text, path);
    files.push({
      ...file,
      pluginBlocks: scan.pluginBlocks,
      ...(scan.pluginDir === undefined ? {} : { pluginDir: scan.pluginDir }),
      ...(scan.dataDir === undefined ? {} : { dataDir: scan.dataDir }),
      ...(scan.error === undefined ? {} : { error: scan.error }),
    });
  }
  return files;
}

/** Creates and removes a file in `dir`: "" when that worked, else the error. Proves writability even for root. */
async function writeTest(dir: string): Promise<string> {
  const path = join(dir, `.doctor-${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    await handle.close();
    await unlink(path);
    return "";
  } catch (err) {
    return describeError(err);
  }
}

async function nearestAncestorWritable(path: string): Promise<boolean> {
  let dir = dirname(path);
  for (;;) {
    const facts = await pathFacts(dir);
    if (facts.kind === "dir")
      return access(dir, fsConstants.W_OK).then(
        () => true,
        () => false,
      );
    if (facts.kind !== "missing" || dir === dirname(dir)) return false;
    dir = dirname(dir);
  }
}

/** Gathers everything the checks read. Commands run concurrently where independent; each has its own deadline. */
export async function probeHost(flags: DoctorFlags, context: ProbeContext): Promise<HostProbe> {
  const run = (argv: readonly string[]) => runCommand(context.runner, argv, context.commandTimeoutMs);

  const rcPaths = rcConfFiles(flags);
  const rcConf = await Promise.all(rcPaths.map(readText));
  const rcVars = new Map<string, RcAssignment & { file: string }>();
  for (const file of rcConf) {
    if (file.text === undefined) continue;
    for (const [name, assignment] of parseRcConf(file.text)) rcVars.set(name, { ...assignment, file: file.path });
  }

  const configPaths = agentConfigPaths(flags, rcVars);
  const agentConfigs = (await Promise.all(configPaths.map(agentConfigFiles))).flat();
  const paths = resolvePaths(flags, agentConfigs, rcVars);
  const potPath = paths.potPath.value;

  const potFacts = await pathFacts(potPath);
  const potUsable = potFacts.kind === "file" && potFacts.executable === true;
  const [version, fsRoot, zfsRoot] = potUsable
    ? await Promise.all([
        run([potPath, "version", "-q"]),
        run([potPath, "config", "-q", "-g", "fs_root"]),
        run([potPath, "config", "-q", "-g", "zfs_root"]),
      ])
    : [undefined, undefined, undefined];
  const list = potUsable && fsRoot?.exitCode !== 0 ? await run([potPath, "ls", "-q"]) : undefined;
  const fsRootPath = fsRoot?.exitCode === 0 ? fsRoot.stdout.trim() : "";
  const fsRootDir = fsRootPath.startsWith("/") ? await pathFacts(fsRootPath) : undefined;

  const probe: HostProbe = {
    platform: context.platform,
    ...(context.uid === undefined ? {} : { uid: context.uid }),
    settings: { ...paths, agentConfigPaths: configPaths, rcConfPaths: rcPaths },
    self: {
      version: context.selfVersion,
      ...(await realpath(context.selfPath).then(
        (p) => ({ realPath: p }),
        () => ({}),
      )),
    },
    pot: {
      facts: potFacts,
      ...(version === undefined ? {} : { version }),
      ...(fsRoot === undefined ? {} : { fsRoot }),
      ...(fsRootDir === undefined ? {} : { fsRootDir }),
      ...(zfsRoot === undefined ? {} : { zfsRoot }),
      ...(list === undefined ? {} : { list }),
    },
    pluginDir: { facts: await pathFacts(paths.pluginDir.value), candidates: [] },
    helpers: await Promise.all(
      POT_HELPERS.map(async (helper) => ({ ...helper, ...(await findInPath(helper.name, paths.childPath.value)) })),
    ),
    agentConfigs,
    rcConf,
    rcVars,
    stateDir: { facts: await pathFacts(paths.stateDir.value) },
  };

  if (context.platform === "freebsd") {
    const dataset = zfsRoot?.exitCode === 0 ? zfsRoot.stdout.trim() : "";
    const pfConfPath = rcVars.get("pf_rules")?.value || DEFAULT_PF_CONF;
    const [racct, vimage, kldstat, list, anchors, pfConf] = await Promise.all([
      run([FREEBSD_TOOLS.sysctl, "-n", "kern.racct.enable"]),
      run([FREEBSD_TOOLS.sysctl, "-n", "kern.features.vimage"]),
      run([FREEBSD_TOOLS.kldstat, "-q", "-m", "zfs"]),
      dataset === "" ? Promise.resolve(undefined) : run([FREEBSD_TOOLS.zfs, "list", "-H", "-o", "name", dataset]),
      run([FREEBSD_TOOLS.pfctl, "-s", "Anchors"]),
      readText(pfConfPath),
    ]);
    probe.sysctl = { racct, vimage };
    probe.zfs = list === undefined ? { kldstat } : { kldstat, list };
    probe.pf = { anchors, conf: pfConf };
  }

  if (probe.pluginDir.facts.kind === "dir") {
    probe.pluginDir.candidates = await Promise.all(
      PLUGIN_NAMES.map(async (name): Promise<PluginCandidate> => {
        const path = join(paths.pluginDir.value, name);
        const facts = await pathFacts(path);
        const runnable = facts.kind === "file" && facts.executable === true;
        if (!runnable || (probe.self.realPath !== undefined && facts.realPath === probe.self.realPath)) return { name, facts };
        return { name, facts, version: await run([path, "version"]) };
      }),
    );
  }

  const state = probe.stateDir;
  if (state.facts.kind === "dir") state.writeTest = await writeTest(state.facts.path);
  else if (state.facts.kind === "missing") state.ancestorWritable = await nearestAncestorWritable(state.facts.path);
  return probe;
}

/** The first executable file named `name` in PATH's directories, as a shell would find it. */
async function findInPath(name: string, path: string): Promise<{ found?: string }> {
  for (const dir of path.split(":")) {
    if (!dir.startsWith("/")) continue;
    const facts = await pathFacts(join(dir, name));
    if (facts.kind === "file" && facts.executable === true) return { found: facts.path };
  }
  return {};
}
