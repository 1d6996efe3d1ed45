// go-hclog compatible JSON logging on stderr (fd 2); the leaf every layer may import.
//
// go-plugin re-logs each stderr line of a plugin through the Nomad agent's logger when the line is a JSON
// object whose "@message", "@level" and "@timestamp" are strings; "@timestamp" must parse with Go's layout
// 2006-01-02T15:04:05.000000Z07:00 (exactly six fractional digits) and "@level" must be one of
// trace/debug/info/warn/error. A non-string value in any of the three panics the agent (go-plugin
// log_entry.go does unchecked type assertions), so this module always writes all three as strings.
import pino from "pino";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
export type Logger = pino.Logger;

const HCLOG_LEVELS: Record<string, LogLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "error",
};

/** Formats a time in the exact form go-hclog writes: UTC, microseconds, trailing Z. */
export function hclogTimestamp(date: Date = new Date()): string {
  // toISOString gives milliseconds; hclog's layout needs six digits.
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface LoggerOptions {
  level?: LogLevel;
  module?: string;
  /** Destination; defaults to fd 2 written synchronously so a crash never loses the last line. */
  destination?: pino.DestinationStream;
}

/** Creates the root logger. Every other logger is a child of it (`logger.child({ task_id })`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  // EPIPE on stderr (the agent went away; reattach keeps us serving) must never crash the process.
  if ("on" in destination && typeof destination.on === "function") {
    destination.on("error", () => {});
  }
  return pino(
    {
      level: options.level ?? "info",
      base: { "@module": options.module ?? "pot" },
      messageKey: "@message",
      timestamp: () => `,"@timestamp":"${hclogTimestamp()}"`,
      formatters: {
        level: (label) => ({ "@level": HCLOG_LEVELS[label] ?? "info" }),
        log: (fields) => withoutHclogKeys(fields),
      },
      hooks: {
        // pino writes a non-string message as it is (42, null, 5n); go-plugin needs "@message" to be a string.
        logMethod(args, method) {
          const list = [...args] as unknown[];
          const at = typeof list[0] === "object" && list[0] !== null ? 1 : 0;
          if (at < list.length && list[at] !== undefined && typeof list[at] !== "string") {
            list[at] = messageText(list[at]);
          }
          return method.apply(this, list as Parameters<typeof method>);
        },
      },
      serializers: {
        // Errors become their message plus the cause chain, as strings (hclog stringifies errors too).
        error: (err: unknown) => describeError(err),
        err: (err: unknown) => describeError(err),
      },
    },
    destination,
  );
}

const HCLOG_KEYS = new Set(["@message", "@level", "@timestamp"]);

/**
 * Renames fields that would collide with hclog's own keys ("@level" → "_level"): JSON decoding keeps the last
 * duplicate key, so a caller's "@level": 3 would otherwise reach go-plugin's string assertion. pino does not
 * run formatters on child bindings, so `child()` keys must simply never be hclog's (they are snake_case).
 */
function withoutHclogKeys(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((key) => HCLOG_KEYS.has(key))) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[HCLOG_KEYS.has(key) ? `_${key.slice(1)}` : key] = value;
  }
  return out;
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

/** The process-wide logger; replaced once by main.ts when the plugin config names a level. */
export let log: Logger = createLogger();

export function setRootLogger(logger: Logger): void {
  log = logger;
}
