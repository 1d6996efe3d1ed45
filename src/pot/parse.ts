// Pure parsers of pot output and the one place pot's message text is matched (layer 3).
//
// Every pattern here has a fixture under test/fixtures/pot/ written from docs/pot-behaviour.md and pot 0.16's
// scripts.
import type { PotErrorKind } from "./errors.ts";

/**
 * What `pot last-run-stats` printed: the `{ "ExitCode": N }` that `pot start` writes once the command has ended (N is
 * the jail's sh wait status: the code, or 128+signal), or `{}` when nothing was recorded (docs/pot-behaviour.md,
 * "Exit status").
 */
export type LastRunStats = { kind: "recorded"; exitCode: number } | { kind: "empty" };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface PotMessages {
  /** `###>  text` lines, prefix and the two spaces removed. */
  errors: string[];
  /** `===>  text` lines. */
  infos: string[];
  /** `=====>  text` lines. */
  debugs: string[];
}

const ERROR_PREFIX = "###> ";
const INFO_PREFIX = "===> ";
const DEBUG_PREFIX = "=====> ";

/** Extracts pot's prefixed messages from its stdout (pot echoes `<prefix> <text>`, i.e. two spaces). */
export function splitPotMessages(output: string): PotMessages {
  const messages: PotMessages = { errors: [], infos: [], debugs: [] };
  for (const line of output.split("\n")) {
    if (line.startsWith(DEBUG_PREFIX)) messages.debugs.push(line.slice(DEBUG_PREFIX.length).trim());
    else if (line.startsWith(ERROR_PREFIX)) messages.errors.push(line.slice(ERROR_PREFIX.length).trim());
    else if (line.startsWith(INFO_PREFIX)) messages.infos.push(line.slice(INFO_PREFIX.length).trim());
  }
  return messages;
}

/**
 * Steps `pot prepare` can skip while still exiting 0 ("Couldn't … - ignoring", docs/pot-behaviour.md, prepare),
 * named by what the skip loses. "essential" ones change what runs: the command (the image's own would run instead),
 * persistent=OFF and no-rc-script=ON (the jail would boot /etc/rc and outlive its command), exported ports.
 * pot prints the no-rc-script text for a skipped prunable too, so that one also counts as essential.
 */
export function isEssentialPrepareSkip(warning: string): boolean {
  return /\bcommand\b|\bpersistent\b|\bno-rc-script\b|\bexport ports\b/.test(warning);
}

/** The last `maxLines` non-empty lines of stderr, then of stdout, joined by newlines. */
export function outputTail(stdout: string, stderr: string, maxLines = 20): string {
  const lastLines = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .slice(-maxLines);
  return [...lastLines(stderr), ...lastLines(stdout)].join("\n");
}

// Message families, matched against `###>` lines (case-sensitive, as pot prints them).
const NOT_FOUND: RegExp[] = [
  /^Pot \S+ not found$/, // _is_pot
  /^zfs dataset \S+ not found$/,
  /^Some component of the pot \S+ is missing$/,
  /^\S+ is not a pot$/, // info, last-run-stats, set-status
  /^\S+ is not a valid pot( name)?$/, // set-attr, set-rss, export-ports
  /^pot \S+ is not valid$/, // set-env, set-hosts, set-cmd, copy-in, mount-in
  /^The pot \S+ is not a valid pot$/, // stop (exit 0)
  /^pot \S+ not found or corrupted/, // destroy
  /^\S+ not found$/, // destroy internals
  /^reference pot \S+ not found$/, // clone
  /^The pot (\S+ )?is not running$/, // signal, exec, get-rss: no jail
];
const ALREADY_EXISTS: RegExp[] = [
  /^A pot with name \S+ already exists$/, // prepare
  /^pot \S+ already exists$/, // clone
  /^pot \S+ is already present$/, // import
  /^The mount point \S+ is already in use$/, // mount-in
];
const LOCKED: RegExp[] = [
  /^pot \S+ is already starting$/,
  /^pot \S+ is already stopping!$/,
  /^pot \S+ is already stopped!$/,
  /^pot \S+ is not in a state where it can (start|be started|be stopped|marked as stopped)$/,
  /^pot \S+ is running$/, // destroy without -F
  /^pot \S+ is still running$/, // set-attr no-tmpfs
  /^Copying files on a running pot is discouraged/, // copy-in without -F
];
const INVALID_ARGUMENT: RegExp[] = [
  /is mandatory/,
  /mutually exclusive/,
  /are incompatible/,
  /^Option -[A-Za-z] is mandatory$/,
  /is not a valid port number$/,
  /^Network type \S+ not recognized$/,
  /^Network stack \S+ not valid$/,
  /is not a valid (attribute|boolean value|uint value|memory constraint|name for a pot|dns option|alias configuration|mount point|status|name)/,
  /^value must be one of/,
  /has wrong suffix or format$/,
  /^Memory constraint has to be greater than zero$/,
  /is a not valid amount of CPUs!$/,
  /^One resource has to be specified/,
  /^One port has to be specified$/,
  /^One of -f\|-d\|-z option has to be used$/,
  /not in a valid form$/,
  /is accetped$|is accepted$/,
  /^Submitted ip/,
  /^Invalid (signal|pid)/,
  /cannot contain spaces$/,
  /has to be an absolute pathname$/,
  /^\S+ is not a directory$/,
  /^Directory \S+ not valid, already used or already part of the pot$/,
  /^\S+ not valid$/, // copy-in source
  /^\S+ not readable$/,
  /^Argument of -U cannot be empty$/,
  /^A bridge name has to be provided/,
  /requires -B option/,
  /^The file \S+ is not valid or readable$/,
  /^-i auto not usable/,
  /^The \S+ IP is not valid/,
  /^bridge \S+ is not valid/,
  /^Attribute no-tmpfs is only usable/,
  /^Remount cannot be used with directories/,
  /^(fscomp|dataset) \S+ is not valid$/,
];
/** getopts' own complaints on stderr (FreeBSD sh, dash, bash wordings). */
const GETOPTS_COMPLAINT = /(Illegal option|illegal option|No arg for|option requires an argument)/;
/** First line of a subcommand help text: `pot <cmd> [-…`. */
const HELP_LINE = /^pot [a-z-]+ (\[|-)/m;

/**
 * Classifies a failed pot invocation from its `###>` lines and output. Non-zero exits only; the first family
 * that matches any error line wins, in the order not-found, already-exists, locked, invalid-argument. Without a
 * matching line, a getopts complaint or a bare help text means invalid-argument; anything else is failed.
 */
export function classifyFailure(potErrors: readonly string[], stdout: string, stderr: string): PotErrorKind {
  const families: [PotErrorKind, RegExp[]][] = [
    ["not-found", NOT_FOUND],
    ["already-exists", ALREADY_EXISTS],
    ["locked", LOCKED],
    ["invalid-argument", INVALID_ARGUMENT],
  ];
  for (const [kind, patterns] of families) {
    if (potErrors.some((line) => patterns.some((pattern) => pattern.test(line)))) return kind;
  }
  if (GETOPTS_COMPLAINT.test(stderr)) return "invalid-argument";
  if (potErrors.length === 0 && HELP_LINE.test(stdout)) return "invalid-argument";
  return "failed";
}

/** True when pot stop reported that the name is not a pot (it still exits 0: stop.sh). */
export function isStopOfUnknownPot(potErrors: readonly string[]): boolean {
  return potErrors.some((line) => /^The pot \S+ is not a valid pot$/.test(line));
}

/** The `Prepared the pot <name>` info line of a successful prepare, if present. */
export function parsePreparedName(stdout: string): string | null {
  for (const info of splitPotMessages(stdout).infos) {
    const match = /^Prepared the pot (\S+)$/.exec(info);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

export interface PotVersion {
  text: string;
  major: number;
  minor: number;
  patch: number;
}

/** Parses `pot version -q` (`0.16.0`) or `pot version` (`pot version: 0.16.0`). */
export function parseVersion(stdout: string): ParseResult<PotVersion> {
  const match = /^(?:pot version: )?(\d+)\.(\d+)(?:\.(\d+))?\s*$/m.exec(stdout.trim());
  if (match === null) return { ok: false, reason: `unrecognised version output ${JSON.stringify(stdout.trim())}` };
  const [, major, minor, patch] = match;
  return {
    ok: true,
    value: {
      text: `${major}.${minor}.${patch ?? "0"}`,
      major: Number(major),
      minor: Number(minor),
      patch: Number(patch ?? "0"),
    },
  };
}

/** Compares two versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: PotVersion, b: Pick<PotVersion, "major" | "minor" | "patch">): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Parses `pot ls -q`: one pot name per line; no pots prints nothing. */
export function parseList(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("###>") && !line.startsWith("===>"));
}

export interface PotInfo {
  name: string;
  type: string;
  base: string;
  level: string;
  basePot?: string;
  networkType: string;
  /** Present when network_type is not inherit. */
  ip?: string;
  bridge?: string;
  /** With `info -v` on non-inherit pots: the export-ports specs (empty when none). */
  exportedPorts?: string[];
  active: boolean;
  /** pot attributes (persistent, no-rc-script, …) as printed: YES/NO. */
  attributes: Record<string, string>;
  /** jail attributes (stop_timeout, exec_stop, …) as printed. */
  jailAttributes: Record<string, string>;
  /** With `info -v`: pot.rss.* limits. */
  resourceLimits?: { cpus?: string; memory?: string };
}

/** Parses `pot info -p <pot> [-v]` (info.sh `_info_pot`). */
export function parseInfo(stdout: string): ParseResult<PotInfo> {
  const lines = stdout.split("\n");
  const head = /^pot name : (.*)$/.exec(lines[0] ?? "");
  if (head?.[1] === undefined) return { ok: false, reason: "missing 'pot name :' line" };
  const info: PotInfo = {
    name: head[1],
    type: "",
    base: "",
    level: "",
    networkType: "",
    active: false,
    attributes: {},
    jailAttributes: {},
  };
  let section: "top" | "attributes" | "jail attributes" | "resource limits" | "other" = "top";
  let sawActive = false;
  for (const line of lines.slice(1)) {
    if (line.trim() === "") continue;
    const top = /^\t([^\t].*?) : ?(.*)$/.exec(line);
    const header = /^\t([a-z ]+):$/.exec(line);
    const nested = /^\t\t(.*)$/.exec(line);
    if (header?.[1] !== undefined) {
      const name = header[1];
      section = name === "attributes" || name === "jail attributes" || name === "resource limits" ? name : "other";
      continue;
    }
    if (top?.[1] !== undefined && top[2] !== undefined) {
      section = "top";
      const [, key, value] = top;
      if (key === "type") info.type = value;
      else if (key === "base") info.base = value;
      else if (key === "level") info.level = value;
      else if (key === "base pot") info.basePot = value;
      else if (key === "network_type") info.networkType = value;
      else if (key === "ip") info.ip = value;
      else if (key === "bridge") info.bridge = value;
      else if (key === "active") {
        info.active = value === "true";
        sawActive = true;
      }
      continue;
    }
    if (nested?.[1] === undefined) continue;
    const text = nested[1];
    if (section === "top") {
      if (text === "no ports exported") info.exportedPorts = [];
      const ports = /^exported ports: (.*)$/.exec(text);
      if (ports?.[1] !== undefined) info.exportedPorts = ports[1].split(/\s+/).filter((p) => p !== "");
      continue;
    }
    const pair = /^([^:]+): ?(.*)$/.exec(text);
    if (pair?.[1] === undefined || pair[2] === undefined) continue;
    if (section === "attributes") info.attributes[pair[1]] = pair[2];
    else if (section === "jail attributes") info.jailAttributes[pair[1]] = pair[2];
    else if (section === "resource limits") {
      info.resourceLimits ??= {};
      if (pair[1] === "max amount cpus") info.resourceLimits.cpus = pair[2];
      if (pair[1] === "max amount memory") info.resourceLimits.memory = pair[2];
    }
  }
  if (!sawActive) return { ok: false, reason: "missing 'active :' line" };
  return { ok: true, value: info };
}

/** Parses `pot last-run-stats`: `{ "ExitCode": N }`, or `{}` when start never recorded one. */
export function parseLastRunStats(stdout: string): ParseResult<LastRunStats> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    return { ok: false, reason: `last-run-stats is not JSON: ${JSON.stringify(stdout.trim().slice(0, 200))}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: "last-run-stats is not a JSON object" };
  }
  const exitCode = (parsed as Record<string, unknown>).ExitCode;
  if (exitCode === undefined) return { ok: true, value: { kind: "empty" } };
  if (typeof exitCode !== "number" || !Number.isInteger(exitCode) || exitCode < 0) {
    return { ok: false, reason: `last-run-stats ExitCode is not a status: ${JSON.stringify(exitCode)}` };
  }
  return { ok: true, value: { kind: "recorded", exitCode } };
}
