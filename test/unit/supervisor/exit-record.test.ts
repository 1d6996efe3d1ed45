// Table tests for src/supervisor/exit-record.ts: every exit.json the supervisor script can write, and bad ones.
import { describe, expect, test } from "bun:test";
import { parseExitRecord, type ExitRecord } from "../../../src/supervisor/exit-record.ts";

const paths = { stdoutPath: "/alloc/logs/.web.stdout.fifo", stderrPath: "/alloc/logs/.web.stderr.fifo" };
const now = new Date("2026-12-01T10:00:00Z");
const ended = new Date(1_796_122_555 * 1000);

describe("parseExitRecord", () => {
  const table: [string, string, ExitRecord][] = [
    ["exit 0", '{"version":1,"status":0,"ended_at":1796122555}\n', { kind: "exited", exitCode: 0, signal: 0, endedAt: ended }],
    ["exit 3", '{"version":1,"status":3,"ended_at":1796122555}', { kind: "exited", exitCode: 3, signal: 0, endedAt: ended }],
    [
      "killed by SIGKILL",
      '{"version":1,"status":137,"ended_at":1796122555}',
      { kind: "exited", exitCode: 137, signal: 9, signalName: "SIGKILL", endedAt: ended },
    ],
    [
      "killed by SIGTERM",
      '{"version":1,"status":143,"ended_at":1796122555}',
      { kind: "exited", exitCode: 143, signal: 15, signalName: "SIGTERM", endedAt: ended },
    ],
    [
      "stdout unopenable",
      '{"version":1,"error":"open-stdout","ended_at":1796122555}',
      { kind: "failed", reason: `supervisor failed to open stdout destination ${paths.stdoutPath}`, endedAt: ended },
    ],
    [
      "stderr unopenable",
      '{"version":1,"error":"open-stderr","ended_at":1796122555}',
      { kind: "failed", reason: `supervisor failed to open stderr destination ${paths.stderrPath}`, endedAt: ended },
    ],
    [
      "stdout refused: a symlink",
      '{"version":1,"error":"unsafe-stdout","why":"symlink","ended_at":1796122555}',
      { kind: "failed", reason: `supervisor refused stdout destination ${paths.stdoutPath}: it is a symlink`, endedAt: ended },
    ],
    [
      "stderr refused: its directory",
      '{"version":1,"error":"unsafe-stderr","why":"directory","ended_at":1796122555}',
      {
        kind: "failed",
        reason: `supervisor refused stderr destination ${paths.stderrPath}: its directory is not the one Nomad gave (a symlink on the way)`,
        endedAt: ended,
      },
    ],
    [
      "stdout refused: not a FIFO or file",
      '{"version":1,"error":"unsafe-stdout","why":"type","ended_at":1796122555}',
      {
        kind: "failed",
        reason: `supervisor refused stdout destination ${paths.stdoutPath}: it is neither a FIFO nor a regular file`,
        endedAt: ended,
      },
    ],
  ];
  for (const [name, text, expected] of table) {
    test(name, () => expect(parseExitRecord(text, paths, now)).toEqual(expected));
  }

  const unreadable: [string, string, string][] = [
    ["empty", "", "not JSON"],
    ["truncated", '{"version":1,"sta', "not JSON"],
    ["array", "[]", "not an object"],
    ["null", "null", "not an object"],
    ["newer version", '{"version":2,"status":0,"ended_at":1}', "unsupported version 2"],
    ["no status", '{"version":1,"ended_at":1}', "no valid status"],
    ["negative status", '{"version":1,"status":-1,"ended_at":1}', "no valid status"],
    ["status above 255", '{"version":1,"status":256,"ended_at":1}', "no valid status"],
    ["string status", '{"version":1,"status":"0","ended_at":1}', "no valid status"],
    ["no time", '{"version":1,"status":0}', "no valid ended_at"],
    ["unknown error", '{"version":1,"error":"boom","ended_at":1}', 'unknown error "boom"'],
    ["refusal without a reason", '{"version":1,"error":"unsafe-stdout","ended_at":1}', "unknown refusal"],
  ];
  for (const [name, text, reason] of unreadable) {
    test(`${name} is unknown, never exit 0`, () => {
      const record = parseExitRecord(text, paths, now);
      expect(record.kind).toBe("unknown");
      expect(record.kind === "unknown" && record.reason).toContain(reason);
      expect(record.kind === "unknown" && record.detectedAt).toEqual(now);
    });
  }
});
