// How a supervised argv ended, as the driver sees it, and the parser of the supervisor's exit.json (layer 4, pure).
import { describeError } from "../log/logger.ts";
import { signalName } from "../support/signals.ts";
import { fromShellStatus } from "../support/wait-status.ts";
import { SCRIPT_VERSION } from "./script.ts";

/**
 * The end of a supervised argv.
 * - "exited": argv ran and ended; `exitCode` follows Nomad's convention (128+N when killed by signal N, with
 *   `signal` = N; otherwise `signal` = 0). `endedAt` is when exit.json was written (format 1: the supervisor's
 *   clock, one-second precision).
 * - "failed": argv never ran because the supervisor could not open its stdout or stderr destination, or
 *   refused to (a symlink, not a FIFO or regular file, or not in the directory Nomad gave).
 * - "unknown": nobody can know how argv ended (the supervisor died or vanished without writing a record, or the
 *   record is unreadable). Never to be reported as exit code 0.
 */
export type ExitRecord =
  | { kind: "exited"; exitCode: number; signal: number; signalName?: string; endedAt: Date }
  | { kind: "failed"; reason: string; endedAt: Date }
  | { kind: "unknown"; reason: string; detectedAt: Date };

/** The stdout/stderr destinations, for naming them in a "failed" record. */
export interface StreamPaths {
  stdoutPath: string;
  stderrPath: string;
}

/**
 * The older format still read: a supervisor an older driver started (and still running after an upgrade) writes
 * format 1, which carries its own `ended_at`; the current format (SCRIPT_VERSION) takes the file's mtime.
 */
const FORMAT_WITH_END_TIME = 1;

/**
 * Whether exit.json's text is a whole record: the supervisor writes it with one write ending in a newline, so a
 * text without it (empty, or cut short) is one still being written.
 */
export function isWholeRecord(text: string): boolean {
  return text.endsWith("\n");
}

/**
 * Parses exit.json as written by SUPERVISOR_SCRIPT; `writtenAt` is the file's modification time, the end time
 * of a format 2 record (format 1 carries its own `ended_at`). A record that is not whole, does not parse, or has
 * a version this driver does not know, yields "unknown" with the reason, never a guessed exit.
 */
export function parseExitRecord(text: string, paths: StreamPaths, writtenAt: Date, now: Date = new Date()): ExitRecord {
  if (!isWholeRecord(text)) return unknown(`exit record is incomplete (${text.length} bytes, no final newline)`, now);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return unknown(`exit record is not JSON: ${describeError(err)}`, now);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return unknown("exit record is not an object", now);
  }
  const record = value as Record<string, unknown>;
  let endedAt = writtenAt;
  if (record.version === FORMAT_WITH_END_TIME) {
    const endedAtS = record.ended_at;
    if (!isNonNegativeInteger(endedAtS)) return unknown("exit record has no valid ended_at", now);
    endedAt = new Date(endedAtS * 1000);
  } else if (record.version !== SCRIPT_VERSION) {
    return unknown(`exit record has unsupported version ${JSON.stringify(record.version)}`, now);
  }

  if (record.error === "open-stdout" || record.error === "open-stderr") {
    const path = record.error === "open-stdout" ? paths.stdoutPath : paths.stderrPath;
    const stream = record.error === "open-stdout" ? "stdout" : "stderr";
    return { kind: "failed", reason: `supervisor failed to open ${stream} destination ${path}`, endedAt };
  }
  if (record.error === "unsafe-stdout" || record.error === "unsafe-stderr") {
    const path = record.error === "unsafe-stdout" ? paths.stdoutPath : paths.stderrPath;
    const stream = record.error === "unsafe-stdout" ? "stdout" : "stderr";
    const why = typeof record.why === "string" ? UNSAFE_WHY[record.why] : undefined;
    if (why === undefined) return unknown(`exit record has unknown refusal ${JSON.stringify(record.why)}`, now);
    return { kind: "failed", reason: `supervisor refused ${stream} destination ${path}: ${why}`, endedAt };
  }
  if (record.error !== undefined) return unknown(`exit record has unknown error ${JSON.stringify(record.error)}`, now);

  const status = record.status;
  if (!isNonNegativeInteger(status) || status > 255) return unknown("exit record has no valid status", now);
  const decoded = fromShellStatus(status);
  const name = decoded.signal === 0 ? undefined : signalName(decoded.signal);
  return {
    kind: "exited",
    exitCode: decoded.exitCode,
    signal: decoded.signal,
    ...(name === undefined ? {} : { signalName: name }),
    endedAt,
  };
}

/** The supervisor's reasons for refusing a stream path (SUPERVISOR_SCRIPT `checked`), as sentences. */
const UNSAFE_WHY: Readonly<Record<string, string>> = {
  symlink: "it is a symlink",
  type: "it is neither a FIFO nor a regular file",
  directory: "its directory is not the one Nomad gave (a symlink on the way)",
};

/** An "unknown" record detected now. */
export function unknown(reason: string, detectedAt: Date = new Date()): ExitRecord {
  return { kind: "unknown", reason, detectedAt };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
