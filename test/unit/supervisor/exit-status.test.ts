// Table tests for src/supervisor/exit-status.ts: shell statuses, Bun child ends, signal names.
import { describe, expect, test } from "bun:test";
import {
  fromChildExit,
  fromShellStatus,
  MAX_SHELL_SIGNAL,
  signalName,
  signalNumber,
  type ExitStatus,
} from "../../../src/supervisor/exit-status.ts";

describe("fromShellStatus", () => {
  const freebsd = MAX_SHELL_SIGNAL.freebsd as number;
  const linux = MAX_SHELL_SIGNAL.linux as number;
  const table: [number, number, ExitStatus][] = [
    [0, freebsd, { exitCode: 0, signal: 0 }],
    [1, freebsd, { exitCode: 1, signal: 0 }],
    [3, freebsd, { exitCode: 3, signal: 0 }],
    [125, freebsd, { exitCode: 125, signal: 0 }],
    [126, freebsd, { exitCode: 126, signal: 0 }],
    [127, freebsd, { exitCode: 127, signal: 0 }],
    [128, freebsd, { exitCode: 128, signal: 0 }],
    [129, freebsd, { exitCode: 129, signal: 1 }],
    [130, freebsd, { exitCode: 130, signal: 2 }],
    [137, freebsd, { exitCode: 137, signal: 9 }],
    [141, freebsd, { exitCode: 141, signal: 13 }],
    [143, freebsd, { exitCode: 143, signal: 15 }],
    [161, freebsd, { exitCode: 161, signal: 33 }],
    [162, freebsd, { exitCode: 162, signal: 0 }],
    [162, linux, { exitCode: 162, signal: 34 }],
    [192, linux, { exitCode: 192, signal: 64 }],
    [193, linux, { exitCode: 193, signal: 0 }],
    [255, linux, { exitCode: 255, signal: 0 }],
    [255, freebsd, { exitCode: 255, signal: 0 }],
  ];
  for (const [status, maxSignal, expected] of table) {
    test(`${status} (max signal ${maxSignal})`, () => expect(fromShellStatus(status, maxSignal)).toEqual(expected));
  }
});

describe("fromChildExit", () => {
  const table: [number | null, string | number | null, ExitStatus][] = [
    [0, null, { exitCode: 0, signal: 0 }],
    [42, null, { exitCode: 42, signal: 0 }],
    [null, "SIGKILL", { exitCode: 137, signal: 9 }],
    [null, "SIGTERM", { exitCode: 143, signal: 15 }],
    [null, 2, { exitCode: 130, signal: 2 }],
    [null, "SIGNOSUCH", { exitCode: 255, signal: 0 }],
    [null, 32, { exitCode: 160, signal: 32 }],
    [null, "33", { exitCode: 161, signal: 33 }],
    [null, null, { exitCode: 128, signal: 0 }],
  ];
  for (const [exitCode, signalCode, expected] of table) {
    test(`${exitCode}/${signalCode}`, () => expect(fromChildExit(exitCode, signalCode)).toEqual(expected));
  }
});

describe("signal names", () => {
  test("names and numbers of the signals both hosts share", () => {
    for (const [name, number] of [
      ["SIGHUP", 1],
      ["SIGINT", 2],
      ["SIGQUIT", 3],
      ["SIGKILL", 9],
      ["SIGPIPE", 13],
      ["SIGTERM", 15],
    ] as const) {
      expect(signalNumber(name)).toBe(number);
      expect(signalNumber(name.slice(3).toLowerCase())).toBe(number);
      expect(signalName(number)).toBe(name);
    }
  });

  test("aliases never win over the canonical name; unknowns are undefined", () => {
    expect(signalName(6)).toBe("SIGABRT");
    expect(signalNumber("SIGBOGUS")).toBeUndefined();
    expect(signalName(0)).toBeUndefined();
  });
});
