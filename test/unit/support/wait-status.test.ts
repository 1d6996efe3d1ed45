// Table tests for src/support/wait-status.ts: shell statuses, Bun child ends; no signal death becomes 0 / exit 128.
import { describe, expect, test } from "bun:test";
import {
  type ExitStatus,
  FREEBSD_MAX_SHELL_SIGNAL,
  fromChildExit,
  exitOfSignal,
  fromShellStatus,
  HOST_MAX_SHELL_SIGNAL,
  LINUX_MAX_SHELL_SIGNAL,
  UNKNOWN_SIGNAL_EXIT,
} from "../../../src/support/wait-status.ts";

describe("fromShellStatus", () => {
  const freebsd = FREEBSD_MAX_SHELL_SIGNAL;
  const linux = LINUX_MAX_SHELL_SIGNAL;
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
  test("the host's own numbers by default", () => {
    expect(HOST_MAX_SHELL_SIGNAL).toBe(process.platform === "linux" ? linux : freebsd);
    expect(fromShellStatus(128 + HOST_MAX_SHELL_SIGNAL)).toEqual({ exitCode: 128 + HOST_MAX_SHELL_SIGNAL, signal: HOST_MAX_SHELL_SIGNAL });
    expect(fromShellStatus(129 + HOST_MAX_SHELL_SIGNAL).signal).toBe(0);
  });
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

describe("exit codes of signal deaths", () => {
  test("128+N with signal N, also for a number without a name", () => {
    expect(exitOfSignal(32)).toEqual({ exitCode: 160, signal: 32 });
    expect(exitOfSignal("SIGKILL")).toEqual({ exitCode: 137, signal: 9 });
    expect(fromChildExit(null, 33)).toEqual({ exitCode: 161, signal: 33 });
  });
  test("a name nobody knows is never signal 0 with exit 128, nor exit 0", () => {
    expect(exitOfSignal("SIGNOPE")).toEqual({ exitCode: UNKNOWN_SIGNAL_EXIT, signal: 0 });
    expect(fromChildExit(null, "SIGNOPE").exitCode).toBe(UNKNOWN_SIGNAL_EXIT);
  });
});
