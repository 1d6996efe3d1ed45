// PotCli: one method per pot verb the driver uses, each a single argv run through a CommandRunner (layer 3).
import { createLogger, describeError, log, type Logger } from "../log/logger.ts";
import { childEnv } from "../support/child-env.ts";
import {
  copyInArgv,
  destroyArgv,
  execArgv,
  existsArgv,
  infoArgv,
  isRunningArgv,
  lastRunStatsArgv,
  listArgv,
  listBridgesArgv,
  configArgv,
  mountInArgv,
  prepareArgv,
  setAttrArgv,
  setCmdArgv,
  setEnvArgv,
  setHostsArgv,
  setRssArgv,
  setStatusArgv,
  signalArgv,
  startArgv,
  stopArgv,
  versionArgv,
  type CopyInOptions,
  type ExecOptions,
  type HostEntry,
  type MountInOptions,
  type PrepareOptions,
  type RssLimits,
  type SignalOptions,
} from "./argv.ts";
import type { PotAttributeName } from "./attributes.ts";
import { PotError } from "./errors.ts";
import { preparedPotName } from "./naming.ts";
import {
  classifyFailure,
  isStopOfUnknownPot,
  outputTail,
  parseInfo,
  parseLastRunStats,
  parseList,
  parsePreparedName,
  parseVersion,
  isEssentialPrepareSkip,
  type LastRunStats,
  splitPotMessages,
  type ParseResult,
  type PotInfo,
  type PotVersion,
} from "./parse.ts";
import type { CommandResult, CommandRunner } from "./runner.ts";
import {
  locatePotStateDir,
  type PotStateDir,
  readLastRunStatsFile,
  readMainPid,
  readPotAddress,
  readPotStatus,
  type StatusReading,
} from "./state-files.ts";

/** How a start's progress is learnt: pot's state files (no process per check) or a `pot signal -C` run. */
export type StartProbeSource = "state-files" | "pot";

export interface StartProbe {
  source: StartProbeSource;
  /** True once pot has marked the pot started and recorded its main process. */
  started(): Promise<boolean>;
  /** The status pot last recorded (state files only; undefined when unknown). */
  status(): Promise<StatusReading | undefined>;
}

/** The verbs PotCli runs; keys of the timeout table. */
export type PotVerb =
  | "version"
  | "prepare"
  | "copy-in"
  | "mount-in"
  | "set-attr"
  | "set-cmd"
  | "set-env"
  | "set-hosts"
  | "set-rss"
  | "info"
  | "ls"
  | "signal"
  | "exec"
  | "stop"
  | "set-status"
  | "destroy"
  | "last-run-stats"
  | "config";

/**
 * Default deadline per verb. prepare may download an image; stop and destroy -F wait for the jail's
 * stop_timeout (10 s by default) plus cleanup; exec has none unless the caller gives one.
 */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<PotVerb, number>> = {
  version: 10_000,
  prepare: 15 * 60_000,
  "copy-in": 5 * 60_000,
  "mount-in": 30_000,
  "set-attr": 30_000,
  "set-cmd": 30_000,
  "set-env": 30_000,
  "set-hosts": 30_000,
  "set-rss": 30_000,
  info: 30_000,
  ls: 30_000,
  signal: 30_000,
  exec: 0,
  stop: 2 * 60_000,
  "set-status": 30_000,
  destroy: 2 * 60_000,
  "last-run-stats": 30_000,
  config: 30_000,
};

export interface PotCliDefaults {
  /** Per-verb deadlines overriding DEFAULT_TIMEOUTS_MS (0 = none). */
  timeoutsMs?: Partial<Record<PotVerb, number>>;
  /**
   * Added to (and overriding) childEnv({ parsed: true }), the minimal environment every pot process gets:
   * the driver sets PATH from its config here; nothing is ever inherited from the plugin's own environment.
   */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Debug lines per invocation go here; default: the process-wide logger at call time. */
  logger?: Logger;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PrepareResult {
  /** The pot pot created (from its `Prepared the pot` line, else computed with pot's naming rule). */
  potName: string;
  /** `###>` lines of a successful prepare: steps pot skipped with "- ignoring" (docs/pot-behaviour.md, prepare). */
  warnings: string[];
  /** The warnings that mean the pot would not run the task as asked (see isEssentialPrepareSkip). */
  essentialSkips: string[];
}

export interface ExecResult {
  /** The command's status (pot exec propagates it); null when pot exec itself died by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export type StopOutcome = "stopped" | "not-found";
export type DestroyOutcome = "destroyed" | "not-found";

/**
 * Runs pot. Every method spawns exactly one `pot <verb> …` (argv array) and either returns parsed output or
 * throws a PotError (with the argv, exit code, kind, pot's `###>` lines and the output tail). Methods are
 * independent and safe to call concurrently; pot itself serialises what needs it (docs/pot-behaviour.md, locking).
 */
export class PotCli {
  readonly potPath: string;
  /** The whole environment of every pot process this instance starts (also for interactive exec sessions). */
  readonly env: Readonly<Record<string, string>>;
  private readonly runner: CommandRunner;
  private readonly defaults: PotCliDefaults;

  constructor(potPath: string, runner: CommandRunner, defaults: PotCliDefaults = {}) {
    this.potPath = potPath;
    this.runner = runner;
    this.defaults = defaults;
    this.env = { ...childEnv({ parsed: true }), ...defaults.env };
  }

  /** `pot version -q`. */
  async version(options?: CallOptions): Promise<PotVersion> {
    const result = await this.runOk("version", versionArgv(), options);
    return this.parsed(result, parseVersion(result.stdout));
  }

  /**
   * `pot prepare`: import the image unless `<image>_<tag>` is already imported, clone it as
   * `<name or image_tag>_<allocId>` (dots → `_`), set the command and the orchestrator attributes, export ports.
   * Throws already-exists when that pot exists. A successful prepare may still have skipped steps; they are
   * returned as warnings.
   */
  async prepare(prepare: PrepareOptions, options?: CallOptions): Promise<PrepareResult> {
    const result = await this.runOk("prepare", prepareArgv(prepare), options);
    const potName = parsePreparedName(result.stdout) ?? preparedPotName(prepare.imageName, prepare.tag, prepare.allocId, prepare.name);
    const warnings = splitPotMessages(result.stdout).errors;
    return { potName, warnings, essentialSkips: warnings.filter(isEssentialPrepareSkip) };
  }

  /** `pot copy-in` (globally locked by pot). A running pot needs `force`. */
  async copyIn(potName: string, copy: CopyInOptions, options?: CallOptions): Promise<void> {
    await this.runOk("copy-in", copyInArgv(potName, copy), options);
  }

  /** `pot mount-in -d`: recorded in fscomp.conf, mounted at the next start (or at once if running). */
  async mountIn(potName: string, mount: MountInOptions, options?: CallOptions): Promise<void> {
    await this.runOk("mount-in", mountInArgv(potName, mount), options);
  }

  /** `pot set-attr`: replaces one `pot.attr.<name>` line; takes effect at the next start. */
  async setAttr(potName: string, attribute: PotAttributeName, value: string | number | boolean, options?: CallOptions): Promise<void> {
    await this.runOk("set-attr", setAttrArgv(potName, attribute, value), options);
  }

  /** `pot set-cmd`: the command line the jail's sh runs as `exec <command>`. */
  async setCmd(potName: string, command: string, options?: CallOptions): Promise<void> {
    await this.runOk("set-cmd", setCmdArgv(potName, command), options);
  }

  /**
   * `pot set-env`: replaces the whole environment set. An empty `env` runs nothing (pot rejects an empty set),
   * leaving whatever the image carried. Values arrive in the jail literally: pot writes each into an
   * `export "NAME=value"` line the jail's sh evaluates, escaping only `"`, so `\`, `$` and backquotes are
   * escaped here.
   */
  async setEnv(potName: string, env: Readonly<Record<string, string>>, options?: CallOptions): Promise<void> {
    if (Object.keys(env).length === 0) return;
    const literal = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.replace(/[\\$`]/g, "\\$&")]));
    await this.runOk("set-env", setEnvArgv(potName, literal), options);
  }

  /** `pot set-hosts`: replaces the whole extra /etc/hosts set. An empty list runs nothing. */
  async setHosts(potName: string, hosts: readonly HostEntry[], options?: CallOptions): Promise<void> {
    if (hosts.length === 0) return;
    await this.runOk("set-hosts", setHostsArgv(potName, hosts), options);
  }

  /** `pot set-rss -M <n>M -C <n>`: applied at the next start (memory only when rctl is enabled). */
  async setRss(potName: string, limits: RssLimits, options?: CallOptions): Promise<void> {
    await this.runOk("set-rss", setRssArgv(potName, limits), options);
  }

  /**
   * The address pot prepare gave the pot (what `pot info` shows as its ip): read from the pot's pot.conf when
   * pot's configuration files say where it is (no pot run), else from `pot info`. Undefined when it has none.
   */
  async jailAddress(potName: string, options?: CallOptions): Promise<string | undefined> {
    const fsRoot = (await this.stateDir())?.fsRoot;
    const recorded = fsRoot === undefined ? undefined : await readPotAddress(fsRoot, potName);
    if (recorded !== undefined) return recorded;
    return (await this.info(potName, {}, options)).ip || undefined;
  }

  /** `pot info -p` (`-v` adds exported ports and resource limits). Throws not-found for an unknown pot. */
  async info(potName: string, infoOptions: { verbose?: boolean } = {}, options?: CallOptions): Promise<PotInfo> {
    const result = await this.runOk("info", infoArgv(potName, infoOptions), options);
    return this.parsed(result, parseInfo(result.stdout));
  }

  /** `pot info -r`: true iff the jail exists. An unknown pot is not running. */
  async isRunning(potName: string, options?: CallOptions): Promise<boolean> {
    const result = await this.run("info", isRunningArgv(potName), options);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw this.failure("info", result);
  }

  /** `pot info -q`: true iff the name is a (valid) pot. */
  async exists(potName: string, options?: CallOptions): Promise<boolean> {
    const result = await this.run("info", existsArgv(potName), options);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw this.failure("info", result);
  }

  /** `pot ls -B -q`: names of the private bridges (files under pot's bridges directory). */
  async bridges(options?: CallOptions): Promise<string[]> {
    const result = await this.runOk("ls", listBridgesArgv(), options);
    return parseList(result.stdout);
  }

  /**
   * pot's file system root (a pot's jail root is `<fs_root>/jails/<pot>/m`): from pot's configuration files when
   * they can be read (no pot run), else from `pot config -q -g fs_root`.
   */
  async fsRoot(options?: CallOptions): Promise<string> {
    const located = (await this.stateDir())?.fsRoot;
    if (located !== undefined) return located;
    const result = await this.runOk("config", configArgv("fs_root"), options);
    const value = result.stdout.trim();
    if (!value.startsWith("/") || value.includes("\n")) {
      throw new PotError(`failed to parse pot config output: fs_root ${JSON.stringify(value)} is not an absolute path`, {
        kind: "failed",
        argv: result.argv,
        exitCode: result.exitCode,
        outputTail: outputTail(result.stdout, result.stderr),
        durationMs: result.durationMs,
      });
    }
    return value;
  }

  /** `pot ls -q`: names of all pots (directories under jails/, unvalidated), in pot's order. */
  async list(options?: CallOptions): Promise<string[]> {
    const result = await this.runOk("ls", listArgv(), options);
    return parseList(result.stdout);
  }

  /**
   * `pot signal -s <signal> -p`: to the main process, or to `pid` inside the jail. Throws not-found when the
   * jail is not running.
   */
  async signal(potName: string, signal: string, signalOptions: SignalOptions = {}, options?: CallOptions): Promise<void> {
    await this.runOk("signal", signalArgv(potName, signal, signalOptions), options);
  }

  /**
   * `pot exec -p <pot> -- <command…>`: the command's exit status is returned, not thrown, because pot
   * propagates it. pot's own refusals (not running, bad option) exit 1 with a `###>` line in stdout; they are
   * thrown when pot exec printed nothing but its error lines. Passing the deadline throws timed-out (the status
   * of the killed command is not the command's own).
   */
  async exec(potName: string, command: readonly string[], execOptions: ExecOptions = {}, options?: CallOptions): Promise<ExecResult> {
    const result = await this.run("exec", execArgv(potName, command, execOptions), options);
    if (result.timedOut) throw this.failure("exec", result);
    if (result.exitCode === 1 && isOnlyPotErrors(result.stdout) && result.stderr.trim() === "") {
      throw this.failure("exec", result);
    }
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: result.stdout,
      stderr: result.stderr,
      durationMs: result.durationMs,
    };
  }

  /** Full argv of `pot exec` for callers that stream its stdio themselves (alloc exec). */
  execArgv(potName: string, command: readonly string[], execOptions: ExecOptions = {}): string[] {
    return [this.potPath, ...execArgv(potName, command, execOptions)];
  }

  /**
   * `pot stop -p`: "not-found" when the name is not a pot (pot exits 0 then). Throws locked when the pot is
   * not in a state where it can be stopped (never started since boot, or already stopping).
   */
  async stop(potName: string, options?: CallOptions): Promise<StopOutcome> {
    const result = await this.runOk("stop", stopArgv(potName), options);
    return isStopOfUnknownPot(splitPotMessages(result.stdout).errors) ? "not-found" : "stopped";
  }

  /**
   * `pot set-status`: moves the pot to `status` if pot's status machine allows it from the current one. Returns
   * pot's answer: 0 done, 1 not allowed from the current status, 2 already in it.
   */
  async setStatus(potName: string, status: "doa" | "stopped", options?: CallOptions): Promise<0 | 1 | 2> {
    const result = await this.run("set-status", setStatusArgv(potName, status), options);
    if (result.exitCode === 0 || result.exitCode === 1 || result.exitCode === 2) return result.exitCode;
    throw this.failure("set-status", result);
  }

  /**
   * `pot destroy -p [-F]`: "not-found" when there is no such pot (so destroying twice is not an error here).
   * Without `force` a running pot throws locked; with it pot stops the pot first.
   */
  async destroy(potName: string, destroyOptions: { force?: boolean } = {}, options?: CallOptions): Promise<DestroyOutcome> {
    const result = await this.run("destroy", destroyArgv(potName, destroyOptions), options);
    if (result.exitCode === 0 && !result.timedOut) return "destroyed";
    const error = this.failure("destroy", result);
    if (error.kind === "not-found") return "not-found";
    throw error;
  }

  /**
   * `pot last-run-stats -p`: the recorded exit status, or empty (`{}`) when none was written. The file it prints
   * is read directly when pot's configuration files say where it is and it holds a well-formed record (no pot
   * run); otherwise (no file, no such pot, anything unexpected) pot answers, with its own errors.
   */
  async lastRunStats(potName: string, options?: CallOptions): Promise<LastRunStats> {
    const argv = lastRunStatsArgv(potName);
    const fsRoot = (await this.stateDir())?.fsRoot;
    const text = fsRoot === undefined ? undefined : await readLastRunStatsFile(fsRoot, potName);
    const recorded = text === undefined ? undefined : parseLastRunStats(text);
    if (recorded?.ok) return recorded.value;
    const result = await this.runOk("last-run-stats", argv, options);
    return this.parsed(result, parseLastRunStats(result.stdout));
  }

  /**
   * A probe of how far `pot start` has got for `potName` (docs/pot-behaviour.md, "Start"). `sinceMs` is when
   * the start was launched: an older status file is not this start's. Reads pot's own state files when their
   * directory can be located (nothing is spawned per check); otherwise each check runs `pot signal -C`, which
   * succeeds once the main pid is recorded.
   */
  async startProbe(potName: string, sinceMs = 0): Promise<StartProbe> {
    const dir = await this.stateDir();
    if (dir) {
      const status = async (): Promise<StatusReading | undefined> => {
        const reading = await readPotStatus(dir, potName);
        // Status files are written with a one-second resolution on some file systems; allow for it.
        return reading && reading.writtenAtMs >= sinceMs - 2_000 ? reading : undefined;
      };
      return {
        source: "state-files",
        status,
        started: async () => (await status())?.status === "started" && (await readMainPid(dir, potName)) !== undefined,
      };
    }
    return {
      source: "pot",
      status: async () => undefined,
      started: async () => (await this.run("signal", signalArgv(potName, "TERM", { dryRun: true }))).exitCode === 0,
    };
  }

  /** Where this pot keeps its state files, or undefined when that cannot be told without running pot. */
  stateDir(): Promise<PotStateDir | undefined> {
    // The environment pot itself runs in: a $NAME in its configuration expands to what pot would see.
    return locatePotStateDir(this.potPath, this.env);
  }

  /** The `pot start -p <pot>` argv. It blocks for the jail's lifetime; the supervisor runs it, not PotCli. */
  startArgv(potName: string): string[] {
    return [this.potPath, ...startArgv(potName)];
  }

  private async runOk(verb: PotVerb, args: string[], options?: CallOptions): Promise<CommandResult> {
    const result = await this.run(verb, args, options);
    if (result.exitCode !== 0 || result.timedOut) throw this.failure(verb, result);
    return result;
  }

  private async run(verb: PotVerb, args: string[], options: CallOptions = {}): Promise<CommandResult> {
    const argv = [this.potPath, ...args];
    const timeoutMs = options.timeoutMs ?? this.defaults.timeoutsMs?.[verb] ?? DEFAULT_TIMEOUTS_MS[verb];
    let result: CommandResult;
    try {
      result = await this.runner.run(argv, {
        timeoutMs,
        env: this.env,
        cwd: this.defaults.cwd,
        signal: options.signal,
      });
    } catch (err) {
      this.logger().debug({ argv, error: describeError(err) }, "pot command could not be spawned");
      throw new PotError(`failed to run pot ${verb}: ${describeError(err)}`, {
        kind: "failed",
        argv,
        exitCode: null,
        cause: err,
      });
    }
    this.logger().debug(
      { argv, exit_code: result.exitCode, signal: result.signal, duration_ms: result.durationMs, timed_out: result.timedOut },
      "pot command finished",
    );
    return result;
  }

  private failure(verb: PotVerb, result: CommandResult): PotError {
    const potErrors = splitPotMessages(result.stdout).errors;
    const tail = outputTail(result.stdout, result.stderr);
    const details = {
      argv: result.argv,
      exitCode: result.exitCode,
      signal: result.signal,
      potErrors,
      outputTail: tail,
      durationMs: result.durationMs,
    };
    if (result.timedOut) {
      return new PotError(`failed to run pot ${verb}: timed out after ${result.durationMs} ms`, { ...details, kind: "timed-out" });
    }
    if (result.aborted) {
      return new PotError(`failed to run pot ${verb}: aborted`, { ...details, kind: "failed" });
    }
    const status = result.exitCode === null ? `killed by ${result.signal ?? "a signal"}` : `exit status ${result.exitCode}`;
    // pot's own ###> lines first; the tools it runs (zfs, mount_nullfs, fetch, jail) speak on stderr, and
    // their last line is often the real cause, so it is kept beside pot's summary.
    const stderrLine = lastLine(result.stderr);
    const reason =
      potErrors.length > 0
        ? [
            potErrors.join("; "),
            ...(stderrLine !== undefined && !potErrors.some((e) => e.includes(stderrLine)) ? [`stderr: ${stderrLine}`] : []),
          ].join("; ")
        : (stderrLine ?? lastLine(result.stdout));
    const message = `failed to run pot ${verb}: ${status}${reason === undefined ? "" : `: ${reason}`}`;
    return new PotError(message, { ...details, kind: classifyFailure(potErrors, result.stdout, result.stderr) });
  }

  private parsed<T>(result: CommandResult, parse: ParseResult<T>): T {
    if (parse.ok) return parse.value;
    const verb = result.argv[1] ?? "";
    throw new PotError(`failed to parse pot ${verb} output: ${parse.reason}`, {
      kind: "failed",
      argv: result.argv,
      exitCode: result.exitCode,
      outputTail: outputTail(result.stdout, result.stderr),
      durationMs: result.durationMs,
    });
  }

  private logger(): Logger {
    return this.defaults.logger ?? log;
  }
}

function isOnlyPotErrors(stdout: string): boolean {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  const fromPot = (line: string) => line.startsWith("###> ") || line.startsWith("===> ") || /^\s|^pot exec /.test(line);
  const marked = lines.some((line) => line.startsWith("###> ")) || /^pot exec /.test(lines[0] ?? "");
  return marked && lines.every(fromPot);
}

function lastLine(text: string): string | undefined {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return lines.at(-1);
}

/** A logger that discards everything; for tests and tools that want PotCli silent. */
export function silentLogger(): Logger {
  return createLogger({ level: "error", destination: { write: () => {} } });
}
