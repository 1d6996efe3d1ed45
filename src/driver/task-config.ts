// Task config (driver layer): the job's `config {}` for driver "pot", declared once; validation and spec derive from it.
//
// Attribute names and shapes are those of the seed job and the existing Go driver (docs/architecture.md), so
// jobs written for it keep working. Map-shaped `port_map` is declared list(map(string)) because Nomad's jobspec
// parser wraps object literals in a one-element list (docs/protocol.md §5).
import { isIPv4, isIPv6 } from "node:net";
import { isPotAttribute, POT_ATTRIBUTE_KINDS, type PotAttributeName } from "../pot/attributes.ts";
import { absolutePathProblem } from "../support/absolute-path.ts";
import {
  type Check,
  type CheckContext,
  type ConfigIssue,
  type ConfigOf,
  type ConfigResult,
  declareConfig,
  type SpecNode,
  defaultedField,
  eachOf,
  INVALID,
  matching,
  optionalField,
  pipe,
  requiredField,
  type RuleIssue,
} from "./config-schema.ts";

/** pot's four network types (docs/networking.md); `host` is pot's alias of `inherit`. alias needs `alias_ip`,
 * private-bridge needs `bridge`. */
export const NETWORK_MODES = ["public-bridge", "private-bridge", "alias", "host", "inherit"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

/** Which protocols a port_map entry exports: pot's default (tcp, no prefix), tcp, udp, or both. */
export type PortProtocol = "default" | "tcp" | "udp" | "tcp+udp";

/** One port_map entry: the port inside the jail and the protocols forwarded to it. */
export interface PortMapping {
  port: number;
  protocol: PortProtocol;
}

/** An alias address: `address` on host interface `iface` (pot's POT_EXTIF when absent). */
export interface AliasIp {
  iface?: string;
  address: string;
  family: 4 | 6;
}

/** A host path and where it appears inside the jail. */
export interface PathPair {
  hostPath: string;
  jailPath: string;
}

export interface ExtraHost {
  hostname: string;
  ip: string;
}

/**
 * Attributes that would take the jail's lifecycle away from Nomad: a persistent pot does not block in
 * `pot start`, and the boot attributes make pot start the jail on its own at host boot.
 */
const LIFECYCLE_ATTRIBUTES = new Set<string>(["persistent", "start-at-boot", "early-start-at-boot"]);

/**
 * pot prepare turns no-rc-script on; turned off, pot start writes the environment to a file nothing reads and
 * runs the command word-split without a shell (docs/pot-behaviour.md, "Environment"), so the task would lose
 * both its environment and the documented quoting.
 */
const COMMAND_ATTRIBUTES = new Set<string>(["no-rc-script"]);

/**
 * Largest stop_timeout accepted, in seconds: `pot stop` waits that long for the jail, and StopTask and
 * DestroyTask wait for `pot stop` (docs/pot-behaviour.md, "Stopping").
 */
export const MAX_STOP_TIMEOUT_S = 300;

export interface PotAttribute {
  name: PotAttributeName;
  value: string;
}

// ---------------------------------------------------------------------------------------------------------
// Element checks

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Splits "left:right" on the first colon; undefined when there is no colon. */
function splitFirstColon(entry: string): [string, string] | undefined {
  const at = entry.indexOf(":");
  return at < 0 ? undefined : [entry.slice(0, at), entry.slice(at + 1)];
}

function issue(ctx: CheckContext, input: unknown, message: string, path?: (string | number)[]): void {
  ctx.issue(input, message, path);
}

function pathPair(kind: "copy" | "mount"): Check<string, PathPair> {
  const form = kind === "copy" ? '"hostpath:jailpath"' : '"hostdir:jaildir"';
  return (entry, ctx) => {
    const parts = splitFirstColon(entry);
    if (!parts) {
      issue(ctx, entry, `must have the form ${form}`);
      return INVALID;
    }
    const [hostPath, jailPath] = parts;
    const problems: string[] = [];
    const hostProblem = absolutePathProblem(hostPath);
    if (hostProblem) problems.push(`host path ${hostProblem}`);
    // pot reads fscomp.conf lines back with awk, so a mounted host dir with whitespace would be cut at it.
    else if (kind === "mount" && /\s/.test(hostPath)) problems.push("host path must not contain whitespace");
    const jailProblem = absolutePathProblem(jailPath);
    if (jailProblem) problems.push(`jail path ${jailProblem}`);
    // "/src:/dst:ro" is the docker habit; pot would take "/dst:ro" as the jail path.
    else if (jailPath.includes(":")) {
      const hint = kind === "mount" ? "; for a read-only mount use mount_read_only" : "";
      problems.push(`jail path must not contain ":" (got ${JSON.stringify(jailPath)})${hint}`);
    } else if (kind === "mount") {
      // pot mount-in refuses these mount points (docs/pot-behaviour.md, mount-in).
      if (/\s/.test(jailPath)) problems.push("jail path must not contain spaces");
      if (/^\/+$/.test(jailPath)) problems.push("jail path must not be /");
    }
    if (problems.length > 0) {
      issue(ctx, entry, problems.join(", "));
      return INVALID;
    }
    return { hostPath, jailPath };
  };
}

const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

const extraHost: Check<string, ExtraHost> = (entry, ctx) => {
  // Split on the first colon as pot set-hosts does, so "h:::1" is host h at ::1 (docs/pot-behaviour.md, set-hosts).
  const parts = splitFirstColon(entry);
  if (!parts) {
    issue(ctx, entry, 'must have the form "hostname:IP"');
    return INVALID;
  }
  const [hostname, ip] = parts;
  const problems: string[] = [];
  if (hostname.length === 0 || hostname.length > 253 || !hostname.split(".").every((l) => HOST_LABEL.test(l))) {
    problems.push("hostname is not a valid host name");
  }
  if (!isIPv4(ip) && !(isIPv6(ip) && !ip.includes("%"))) problems.push("IP is not a valid IPv4 or IPv6 address");
  if (problems.length > 0) {
    issue(ctx, entry, problems.join(", "));
    return INVALID;
  }
  return { hostname, ip };
};

const BOOL_VALUE = /^(yes|true|on|no|false|off)$/i;

function parsePotAttribute(entry: string): PotAttribute | string {
  const parts = splitFirstColon(entry);
  if (!parts) return 'must have the form "attribute:value"';
  const [name, value] = parts;
  if (!isPotAttribute(name)) {
    // A long name is shortened so the reason survives when the issue is cut for the error message.
    const shown = name.length > 40 ? `${Array.from(name).slice(0, 37).join("")}...` : name;
    return `${JSON.stringify(shown)} is not a pot attribute`;
  }
  if (LIFECYCLE_ATTRIBUTES.has(name)) return `attribute ${name} cannot be set: Nomad manages the jail's lifecycle`;
  if (COMMAND_ATTRIBUTES.has(name)) {
    return `attribute ${name} cannot be set: pot prepare turns it on, and off pot would drop the task's environment and the command's quoting`;
  }
  const kind = POT_ATTRIBUTE_KINDS[name];
  if (CONTROL_CHARS.test(value)) return "value must not contain control characters";
  if (kind === "bool" && !BOOL_VALUE.test(value)) return `value of ${name} must be yes/no, true/false or on/off`;
  if (kind === "uint" && !/^\d+$/.test(value)) return `value of ${name} must be an unsigned integer`;
  if (kind === "sysv" && !["new", "inherit", "disable"].includes(value)) {
    return `value of ${name} must be new, inherit or disable`;
  }
  if (value.length === 0) return `value of ${name} must not be empty`;
  if (name === "stop_timeout" && Number(value) > MAX_STOP_TIMEOUT_S) {
    return `value of stop_timeout must be at most ${MAX_STOP_TIMEOUT_S} (seconds)`;
  }
  return { name, value };
}

/** Each entry parsed on its own and each attribute named once, so every bad entry is reported. */
const potAttributes: Check<string[], PotAttribute[]> = (entries, ctx) => {
  const parsed: PotAttribute[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const result = parsePotAttribute(entry);
    if (typeof result === "string") {
      issue(ctx, entry, result, [index]);
    } else if (seen.has(result.name)) {
      issue(ctx, entry, `attribute ${result.name} given more than once`, [index]);
    } else {
      seen.add(result.name);
      parsed.push(result);
    }
  }
  return parsed;
};

const PORT = /^[1-9][0-9]{0,4}$/;
const PROTOCOLS: readonly PortProtocol[] = ["tcp", "udp", "tcp+udp"];

/** `"80"`, `"53/udp"`, `"53/tcp"` or `"53/tcp+udp"` (docs/networking.md); a problem as a string. */
function parsePortMapping(value: string): PortMapping | string {
  const slash = value.indexOf("/");
  const portText = slash < 0 ? value : value.slice(0, slash);
  const protocol = slash < 0 ? "default" : value.slice(slash + 1);
  const number = PORT.test(portText) ? Number(portText) : NaN;
  if (!(number >= 1 && number <= 65535))
    return "must be a port number from 1 to 65535 (decimal), optionally followed by /tcp, /udp or /tcp+udp";
  if (protocol !== "default" && !(PROTOCOLS as readonly string[]).includes(protocol)) {
    return `protocol must be tcp, udp or tcp+udp (as in "${number}/udp")`;
  }
  return { port: number, protocol: protocol as PortProtocol };
}

/** Merges the list of maps Nomad sends into one label → jail port map; each label may appear once. */
const portMap: Check<Record<string, string>[], Record<string, PortMapping>> = (maps, ctx) => {
  const merged: Record<string, PortMapping> = {};
  const seen = new Set<string>();
  for (const map of maps) {
    for (const [label, port] of Object.entries(map)) {
      if (seen.has(label)) {
        issue(ctx, port, "port label given more than once", [label]);
        continue;
      }
      seen.add(label);
      if (label.trim() === "" || CONTROL_CHARS.test(label)) {
        issue(ctx, port, "port label must not be empty or contain control characters", [label]);
        continue;
      }
      const mapping = parsePortMapping(port);
      if (typeof mapping === "string") {
        issue(ctx, port, mapping, [label]);
        continue;
      }
      merged[label] = mapping;
    }
  }
  return merged;
};

/** FreeBSD interface names: at most 15 characters (IFNAMSIZ), letters, digits, `_`, `.`, `-`. */
const IFACE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

/** `alias_ip`: `[interface|]address`, pot's own `-i` syntax for alias pots (network.sh). */
const aliasIp: Check<string, AliasIp> = (entry, ctx) => {
  const bar = entry.indexOf("|");
  const iface = bar < 0 ? undefined : entry.slice(0, bar);
  const address = bar < 0 ? entry : entry.slice(bar + 1);
  const problems: string[] = [];
  if (iface !== undefined && !IFACE.test(iface)) problems.push("interface must be a network interface name such as em0");
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes("%") ? 6 : undefined;
  if (family === undefined) problems.push('address must be an IPv4 or IPv6 address (pot refuses "auto" for alias)');
  if (problems.length > 0 || family === undefined) {
    issue(ctx, entry, `must have the form "[interface|]address": ${problems.join(", ")}`);
    return INVALID;
  }
  return iface === undefined ? { address, family } : { iface, address, family };
};

/** Private bridges are files under pot's bridges directory, named by `pot create-private-bridge -B`. */
const bridgeName = matching(
  /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
  "must be a pot bridge name: letters, digits, '.', '_' and '-', starting with a letter or digit",
);

/**
 * The URL is checked as written, not only as WHATWG URL parsing repairs it (which reads "http:///x/" as host x):
 * pot hands it to fetch(1) verbatim.
 */
const imageUrl: Check<string, string> = (url, ctx) => {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  let problem: string | undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (scheme === undefined || parsed === undefined) problem = "must be an http, https or file URL";
  else if (scheme !== "http" && scheme !== "https" && scheme !== "file") {
    problem = `must be an http, https or file URL, not ${scheme}`;
  } else if (scheme !== "file" && (!/^[A-Za-z]+:\/\/[^/?#\\]/.test(url) || parsed.hostname === "")) {
    problem = "must name a host";
  } else if (scheme === "file" && !/^file:\/\/\//i.test(url)) problem = "must be file:///absolute/path";
  else if (parsed.search !== "" || parsed.hash !== "" || /[?#]/.test(url)) {
    problem = "must not have a query or fragment: pot appends the image file name";
  } else if (CONTROL_CHARS.test(url) || /\s/.test(url)) problem = "must not contain spaces or control characters";
  if (problem) {
    issue(ctx, url, problem);
    return INVALID;
  }
  return url;
};

/** Image name and tag become the file `<pot>_<tag>.xz` under the image URL (docs/pot-behaviour.md, import). */
const imageNamePart = (what: string) =>
  matching(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${what} must start with a letter or digit and contain only letters, digits, '.', '_' and '-'`);

const noControlChars =
  (what: string): Check<string, string> =>
  (s, ctx) => {
    if (!CONTROL_CHARS.test(s)) return s;
    ctx.issue(s, `${what} must not contain control characters`);
    return INVALID;
  };

// ---------------------------------------------------------------------------------------------------------
// The declaration

export const taskConfigDeclaration = declareConfig(
  {
    image: requiredField({
      name: "image",
      type: "string",
      check: imageUrl,
      doc: "URL of the image directory: http(s)://host/path/ or file:///path/ (pot prepare -U).",
    }),
    pot: requiredField({
      name: "pot",
      type: "string",
      check: imageNamePart("image name"),
      doc: "Name of the image in that directory (pot prepare -p).",
    }),
    tag: requiredField({
      name: "tag",
      type: "string",
      check: imageNamePart("tag"),
      doc: "Version of the image (pot prepare -t).",
    }),
    command: optionalField({
      name: "command",
      type: "string",
      check: pipe(noControlChars("command"), (s) => (s.trim() === "" ? undefined : s)),
      absent: undefined,
      doc: "Command run in the jail; the image's own command when unset. Interpreted by the jail's shell.",
    }),
    args: optionalField({
      name: "args",
      type: "list(string)",
      check: eachOf(noControlChars("argument")),
      absent: [],
      doc: "Arguments appended to command, joined by spaces; needs command.",
    }),
    networkMode: defaultedField({
      name: "network_mode",
      type: "string",
      check: (mode, ctx): NetworkMode | typeof INVALID => {
        if ((NETWORK_MODES as readonly string[]).includes(mode)) return mode as NetworkMode;
        issue(ctx, mode, `must be one of ${NETWORK_MODES.join(", ")}`);
        return INVALID;
      },
      default: "public-bridge",
      doc: "pot network type: public-bridge, private-bridge (needs bridge), alias (needs alias_ip), host or inherit.",
    }),
    aliasIp: optionalField({
      name: "alias_ip",
      type: "string",
      check: aliasIp,
      absent: undefined,
      doc: 'Address of an alias jail, "[interface|]address" (pot prepare -i); network_mode alias only.',
    }),
    bridge: optionalField({
      name: "bridge",
      type: "string",
      check: bridgeName,
      absent: undefined,
      doc: "Private bridge of a private-bridge jail (pot prepare -B); it must exist (pot create-private-bridge).",
    }),
    portMap: optionalField({
      name: "port_map",
      type: "list(map(string))",
      check: portMap,
      absent: {},
      doc: 'Port label (from the group\'s network block) → port inside the jail: "80", "53/udp" or "53/tcp+udp".',
    }),
    copy: optionalField({
      name: "copy",
      type: "list(string)",
      check: eachOf(pathPair("copy")),
      absent: [],
      doc: '"hostpath:jailpath" files copied into the jail before start (pot copy-in).',
    }),
    mount: optionalField({
      name: "mount",
      type: "list(string)",
      check: eachOf(pathPair("mount")),
      absent: [],
      doc: '"hostdir:jaildir" directories mounted read-write (pot mount-in).',
    }),
    mountReadOnly: optionalField({
      name: "mount_read_only",
      type: "list(string)",
      check: eachOf(pathPair("mount")),
      absent: [],
      doc: '"hostdir:jaildir" directories mounted read-only (pot mount-in -r).',
    }),
    extraHosts: optionalField({
      name: "extra_hosts",
      type: "list(string)",
      check: eachOf(extraHost),
      absent: [],
      doc: '"hostname:IP" entries added to the jail\'s /etc/hosts (pot set-hosts).',
    }),
    attributes: optionalField({
      name: "attributes",
      type: "list(string)",
      check: potAttributes,
      absent: [],
      doc: '"attribute:value" pot attributes set before start (pot set-attribute), e.g. "devfs_ruleset:4".',
    }),
  },
  { whenNull: "issue", rules: [argsNeedCommand, networkOptionsMatchMode] },
);

/** alias_ip belongs to alias jails and bridge to private-bridge ones: each is required there and refused elsewhere. */
function networkOptionsMatchMode(raw: Readonly<Record<string, unknown>>): RuleIssue[] {
  const mode = typeof raw.network_mode === "string" ? raw.network_mode : "public-bridge";
  const issues: RuleIssue[] = [];
  const given = (v: unknown) => v !== undefined && v !== null;
  for (const [option, owner] of [
    ["alias_ip", "alias"],
    ["bridge", "private-bridge"],
  ] as const) {
    if (mode === owner && !given(raw[option])) {
      issues.push({ path: [option], message: `is required with network_mode ${owner}` });
    } else if (mode !== owner && given(raw[option]) && (NETWORK_MODES as readonly string[]).includes(mode)) {
      issues.push({ path: [option], message: `is only used with network_mode ${owner}, not ${mode}`, value: raw[option] });
    }
  }
  return issues;
}

/** args without a command has nothing to append to (the Go driver's "command can not be empty" rule). */
function argsNeedCommand(raw: Readonly<Record<string, unknown>>): RuleIssue[] {
  const { args, command } = raw;
  const hasArgs = Array.isArray(args) && args.length > 0;
  const hasCommand = typeof command === "string" && command.trim() !== "";
  return hasArgs && !hasCommand ? [{ path: ["args"], message: "args given without command", value: args }] : [];
}

/** The validated, normalised task config later code uses. */
export type TaskConfig = ConfigOf<typeof taskConfigDeclaration.fields>;

/** Validates a decoded task config: every problem at once, each with its path and value. Never throws. */
export function validateTaskConfig(value: unknown): ConfigResult<TaskConfig> {
  return taskConfigDeclaration.validate(value);
}

/** The task config's neutral hclspec tree (plugin/hclspec.ts turns it into the protobuf Spec). */
export function taskConfigSpec(): SpecNode {
  return taskConfigDeclaration.spec();
}

export type { ConfigIssue };
