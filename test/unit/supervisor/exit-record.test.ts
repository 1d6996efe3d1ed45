// Table tests for src/supervisor/exit-record.ts: every exit.json the supervisor script can write (format 2, and
// format 1 from supervisors an older driver started), and bad ones.
import { describe, expect, test } from "bun:test";
import { isWholeRecord, parseExitRecord, type ExitRecord } from "../../../src/supervisor/exit-record.ts";

const paths = { stdoutPath: "/alloc/logs/.web.stdout.fifo", stderrPath: "/alloc/logs/.web.stderr.fifo" };
const now = new Date("2026-12-01T10:00:00Z");
/** exit.json's modification time: the end time of a format 2 record. */
const written = new Date("2026-12-01T09:59:58.123Z");
/** A format 1 record's own ended_at. */
const ended = new Date(1_796_122_555 * 1000);

describe("parseExitRecord", () => {
  const table: [string, string, ExitRecord][] = [
    ["exit 0", '{"version":2,"status":0}\n', { kind: "exited", exitCode: 0, signal: 0, endedAt: written }],
    ["exit 3", '{"version":2,"status":3}\n', { kind: "exited", exitCode: 3, signal: 0, endedAt: written }],
    [
      "killed by SIGKILL",
      '{"version":2,"status":137}\n',
      { kind: "exited", exitCode: 137, signal: 9, signalName: "SIGKILL", endedAt: written },
    ],
    [
      "killed by SIGTERM",
      '{"version":2,"status":143}\n',
      { kind: "exited", exitCode: 143, signal: 15, signalName: "SIGTERM", endedAt: written },
    ],
    [
      "stdout unopenable",
      '{"version":2,"error":"open-stdout"}\n',
      { kind: "failed", reason: `supervisor failed to open stdout destination ${paths.stdoutPath}`, endedAt: written },
    ],
    [
      "stderr unopenable",
      '{"version":2,"error":"open-stderr"}\n',
      { kind: "failed", reason: `supervisor failed to open stderr destination ${paths.stderrPath}`, endedAt: written },
    ],
    [
      "stdout refused: a symlink",
      '{"version":2,"error":"unsafe-stdout","why":"symlink"}\n',
      { kind: "failed", reason: `supervisor refused stdout destination ${paths.stdoutPath}: it is a symlink`, endedAt: written },
    ],
    [
      "stderr refused: its directory",
      '{"version":2,"error":"unsafe-stderr","why":"directory"}\n',
      {
        kind: "failed",
        reason: `supervisor refused stderr destination ${paths.stderrPath}: its directory is not the one Nomad gave (a symlink on the way)`,
        endedAt: written,
      },
    ],
    [
      "stdout refused: not a FIFO or file",
      '{"version":2,"error":"unsafe-stdout","why":"type"}\n',
      {
        kind: "failed",
        reason: `supervisor refused stdout destination ${paths.stdoutPath}: it is neither a FIFO nor a regular file`,
        endedAt: written,
      },
    ],
    // Format 1 (a supervisor started by an older driver, still running across the upgrade): its own end time.
    ["format 1, exit 3", '{"version":1,"status":3,"ended_at":1796122555}\n', { kind: "exited", exitCode: 3, signal: 0, endedAt: ended }],
    [
      "format 1, refused",
      '{"version":1,"error":"unsafe-stdout","why":"symlink","ended_at":1796122555}\n',
      { kind: "failed", reason: `supervisor refused stdout destination ${paths.stdoutPath}: it is a symlink`, endedAt: ended },
    ],
  ];
  for (const [name, text, expected] of table) {
    test(name, () => expect(parseExitRecord(text, paths, written, now)).toEqual(expected));
  }

  const unreadable: [string, string, string][] = [
    ["empty (opened, not yet written)", "", "incomplete"],
    ["cut short", '{"version":2,"sta', "incomplete"],
    ["whole but without its newline", '{"version":2,"status":0}', "incomplete"],
    ["not JSON", "{version:2}\n", "not JSON"],
    ["array", "[]\n", "not an object"],
    ["null", "null\n", "not an object"],
    ["newer version", '{"version":3,"status":0}\n', "unsupported version 3"],
    ["no version", '{"status":0}\n', "unsupported version undefined"],
    ["no status", '{"version":2}\n', "no valid status"],
    ["negative status", '{"version":2,"status":-1}\n', "no valid status"],
    ["status above 255", '{"version":2,"status":256}\n', "no valid status"],
    ["string status", '{"version":2,"status":"0"}\n', "no valid status"],
    ["format 1 without its time", '{"version":1,"status":0}\n', "no valid ended_at"],
    ["unknown error", '{"version":2,"error":"boom"}\n', 'unknown error "boom"'],
    ["refusal without a reason", '{"version":2,"error":"unsafe-stdout"}\n', "unknown refusal"],
  ];
  for (const [name, text, reason] of unreadable) {
    test(`${name} is unknown, never exit 0`, () => {
      const record = parseExitRecord(text, paths, written, now);
      expect(record.kind).toBe("unknown");
      expect(record.kind === "unknown" && record.reason).toContain(reason);
      expect(record.kind === "unknown" && record.detectedAt).toEqual(now);
    });
  }
});

describe("isWholeRecord", () => {
  test("a record is whole once its final newline is there", () => {
    expect(isWholeRecord('{"version":2,"status":0}\n')).toBe(true);
    expect(isWholeRecord('{"version":2,"status":0}')).toBe(false);
    expect(isWholeRecord("")).toBe(false);
  });
});
