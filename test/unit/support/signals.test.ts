// Tests for src/support/signals.ts: every signal Bun can report maps to its number; none becomes 0 / exit 128.
import { describe, expect, test } from "bun:test";
import { exitOfSignal, FREEBSD_SIGNALS, signalName, signalNumber, signalTable, UNKNOWN_SIGNAL_EXIT } from "../../../src/support/signals.ts";
import { fromChildExit } from "../../../src/supervisor/exit-status.ts";

/** What os.constants.signals holds on a FreeBSD host: Node's list, which has no SIGTHR and no SIGLIBRT. */
const NODE_ON_FREEBSD = Object.fromEntries(Object.entries(FREEBSD_SIGNALS).filter(([name]) => name !== "SIGTHR" && name !== "SIGLIBRT"));
const freebsd = signalTable("freebsd", NODE_ON_FREEBSD);

describe("signalNumber", () => {
  test("FreeBSD's signals without a Node name still have their numbers there", () => {
    expect(signalNumber("SIGTHR", freebsd)).toBe(32);
    expect(signalNumber("SIGLWP", freebsd)).toBe(32);
    expect(signalNumber("librt", freebsd)).toBe(33);
    expect(signalName(32, freebsd)).toBe("SIGTHR");
    expect(signalName(33, freebsd)).toBe("SIGLIBRT");
  });
  test("a number, as Bun gives for a signal it cannot name, is that number", () => {
    expect(signalNumber(32)).toBe(32);
    expect(signalNumber("33")).toBe(33);
    expect(signalNumber(0)).toBeUndefined();
    expect(signalNumber("0")).toBeUndefined();
  });
  test("names with or without SIG, any case; aliases to their canonical number", () => {
    expect(signalNumber("SIGTERM")).toBe(15);
    expect(signalNumber("term")).toBe(15);
    expect(signalNumber("SIGIOT")).toBe(6);
    expect(signalNumber("SIGNOPE")).toBeUndefined();
  });
  test("Linux keeps its own numbers (no FreeBSD table there)", () => {
    expect(signalNumber("SIGUSR1", signalTable("linux", { SIGUSR1: 10 }))).toBe(10);
    expect(signalNumber("SIGUSR1", freebsd)).toBe(30);
  });
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
