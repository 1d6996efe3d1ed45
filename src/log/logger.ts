// go-hclog compatible JSON logging on stderr (fd 2); every layer may import it, and it imports only support/.
//
// go-plugin re-logs each stderr line of a plugin through the Nomad agent's logger when the line is a JSON
// object whose "@message", "@level" and "@timestamp" are strings; "@timestamp" must parse with Go's layout
// 2006-01-02T15:04:05.000000Z07:00 (exactly six fractional digits) and "@level" must be one of
// trace/debug/info/warn/error. A non-string value in any of the three panics the agent (go-plugin
// log_entry.go does unchecked type assertions), so this module always writes all three as strings.
//
// A small writer of its own rather than a logging library: one JSON line per call, written synchronously, is
// all go-plugin reads, and it keeps the plugin's start-up and memory at the floor of its runtime.
import { writeSync } from "node:fs";
import { isErrno } from "../support/errno.ts";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

/** The levels a call may use; `fatal` is written as hclog's "error" (hclog has no fatal). */
type CallLevel = LogLevel | "fatal";

const SEVERITY: Record<CallLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** A log call: `log.info("text")`, `log.info({ key: value }, "text")`, printf-style extra arguments allowed. */
export interface LogFn {
  (fields: object, message?: unknown, ...args: unknown[]): void;
  (message: unknown, ...args: unknown[]): void;
}

export interface Logger {
  /** The lowest level written; settable (SetConfig's log_level). Children follow it unless given their own. */
  level: LogLevel;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger that adds `bindings` to every line it writes. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Where lines go: anything with a write(string) method (a Writable, or a test's collector). */
export interface LogDestination {
  write(line: string): unknown;
}

/** Formats a time in the exact form go-hclog writes: UTC, microseconds, trailing Z. */
export function hclogTimestamp(date: Date = new Date()): string {
  // toISOString gives milliseconds; hclog's layout needs six digits.
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface LoggerOptions {
  level?: LogLevel;
  module?: string;
  /** Destination; defaults to fd 2 written synchronously so a crash never loses the last line. */
  destination?: LogDestination;
}

/** Creates the root logger. Every other logger is a child of it (`logger.child({ task_id })`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? stderrDestination;
  // The keys every line carries after hclog's three: the module, then the child's bindings.
  return new HclogLogger(destination, { "@module": options.module ?? "pot" }, undefined, options.level ?? "info");
}

/** How long one line may wait for a full non-blocking stderr pipe to drain before it is dropped. */
const STDERR_FULL_WAIT_MS = 5_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * fd 2, synchronously and whole: a line is never cut, since go-plugin reads stderr line by line and a cut line
 * stops being JSON. A full non-blocking pipe (a slow reader) is waited for, a millisecond at a time, up to
 * STDERR_FULL_WAIT_MS; EPIPE (the agent went away; reattach keeps us serving) and other errors drop the line.
 */
const stderrDestination: LogDestination = {
  write(line: string): void {
    const bytes = Buffer.from(line);
    let offset = 0;
    const deadline = Date.now() + STDERR_FULL_WAIT_MS;
    while (offset < bytes.length) {
      try {
        offset += writeSync(2, bytes, offset);
      } catch (err) {
        if (!isErrno(err, "EAGAIN") || Date.now() > deadline) return;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  },
};

class HclogLogger implements Logger {
  #level: LogLevel | undefined;

  readonly trace: LogFn = (...args: unknown[]) => this.#write("trace", args);
  readonly debug: LogFn = (...args: unknown[]) => this.#write("debug", args);
  readonly info: LogFn = (...args: unknown[]) => this.#write("info", args);
  readonly warn: LogFn = (...args: unknown[]) => this.#write("warn", args);
  readonly error: LogFn = (...args: unknown[]) => this.#write("error", args);
  readonly fatal: LogFn = (...args: unknown[]) => this.#write("fatal", args);

  constructor(
    readonly destination: LogDestination,
    /** The module and bindings, already free of hclog's own keys. */
    readonly bindings: Record<string, unknown>,
    readonly parent: HclogLogger | undefined,
    level: LogLevel | undefined,
  ) {
    this.#level = level;
  }

  get level(): LogLevel {
    return this.#level ?? this.parent?.level ?? "info";
  }

  set level(level: LogLevel) {
    if (!(level in SEVERITY) || level === ("fatal" as string)) throw new RangeError(`unknown log level ${JSON.stringify(level)}`);
    this.#level = level;
  }

  child(bindings: Record<string, unknown>): Logger {
    return new HclogLogger(this.destination, { ...this.bindings, ...withoutHclogKeys(bindings) }, this, undefined);
  }

  #write(level: CallLevel, args: unknown[]): void {
    if (SEVERITY[level] < SEVERITY[this.level]) return;
    let fields: Record<string, unknown> = {};
    let rest = args;
    const first = args[0];
    if (first instanceof Error) {
      // log.error(err): its description is the message unless one is given, and it is kept as "err".
      fields = { err: first };
      rest = args.length > 1 ? args.slice(1) : [first.message];
    } else if (typeof first === "object" && first !== null) {
      fields = first as Record<string, unknown>;
      rest = args.slice(1);
    }
    const line: Record<string, unknown> = {
      "@level": level === "fatal" ? "error" : level,
      "@timestamp": hclogTimestamp(),
      "@message": messageOf(rest),
      ...this.bindings,
    };
    for (const [key, value] of Object.entries(fields)) {
      line[HCLOG_KEYS.has(key) ? `_${key.slice(1)}` : key] = value instanceof Error ? describeError(value) : value;
    }
    this.destination.write(`${toJson(line)}\n`);
  }
}

const HCLOG_KEYS = new Set(["@message", "@level", "@timestamp"]);

/**
 * Renames fields that would collide with hclog's own keys ("@level" → "_level"): JSON decoding keeps the last
 * duplicate key, so a caller's "@level": 3 would otherwise reach go-plugin's string assertion.
 */
function withoutHclogKeys(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((key) => HCLOG_KEYS.has(key))) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[HCLOG_KEYS.has(key) ? `_${key.slice(1)}` : key] = value;
  return out;
}

/** The message of a call's non-field arguments: a string with printf-style arguments, or any value as text. */
function messageOf(args: readonly unknown[]): string {
  if (args.length === 0 || args[0] === undefined) return "";
  const [message, ...rest] = args;
  if (typeof message === "string") return rest.length === 0 ? message : printf(message, rest);
  return messageText(message);
}

/**
 * printf-style substitution as console.log does it, for the directives a log call needs: %s (text), %d and
 * %i (number, integer), %f (number), %j, %o and %O (JSON), %% (a percent sign). Arguments left over are
 * appended, separated by spaces.
 */
function printf(format: string, args: readonly unknown[]): string {
  let next = 0;
  const text = format.replace(/%([sdifjoO%])/g, (directive, kind: string) => {
    if (kind === "%") return "%";
    if (next >= args.length) return directive;
    const arg = args[next++];
    switch (kind) {
      case "s":
        return typeof arg === "string" ? arg : messageText(arg);
      case "d":
        return typeof arg === "bigint" ? `${arg}` : `${Number(arg)}`;
      case "i":
        return typeof arg === "bigint" ? `${arg}` : `${Math.trunc(Number(arg))}`;
      case "f":
        return `${Number(arg)}`;
      default:
        return messageText(arg);
    }
  });
  const rest = args.slice(next).map((arg) => (typeof arg === "string" ? arg : messageText(arg)));
  return rest.length === 0 ? text : `${text} ${rest.join(" ")}`;
}

function messageText(value: unknown): string {
  if (value instanceof Error) return describeError(value);
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}` : v));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** Longest string value written whole; longer ones (a 300 kB argument in an argv) are cut and say so. */
export const MAX_LOG_STRING = 4_096;

function bounded(text: string): string {
  return text.length <= MAX_LOG_STRING ? text : `${text.slice(0, MAX_LOG_STRING)}… (${text.length - MAX_LOG_STRING} more characters)`;
}

/**
 * JSON of a line's fields: bigints as decimal strings, errors as their description, strings at most
 * MAX_LOG_STRING characters; a cycle becomes "[Circular]".
 */
function toJson(line: Record<string, unknown>): string {
  const plain = (_key: string, value: unknown): unknown => {
    const out = typeof value === "bigint" ? `${value}` : value instanceof Error ? describeError(value) : value;
    return typeof out === "string" ? bounded(out) : out;
  };
  try {
    return JSON.stringify(line, plain);
  } catch {
    // A cyclic value (the only way JSON.stringify throws here): cut every repeated object.
    const seen = new WeakSet<object>();
    return JSON.stringify(line, (key, value: unknown) => {
      const out = plain(key, value);
      if (typeof out === "object" && out !== null) {
        if (seen.has(out)) return "[Circular]";
        seen.add(out);
      }
      return out;
    });
  }
}

/** Renders an error and its causes as one line: "outer: inner: innermost". */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    if (current instanceof Error) {
      if (!parts.some((p) => p.includes(current instanceof Error ? current.message : ""))) {
        parts.push(current.message);
      }
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(": ");
}

/** The process-wide logger; its level is set by the driver when the plugin config names one. */
export const log: Logger = createLogger();
