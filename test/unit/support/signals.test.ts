// Tests for src/support/signals.ts: every signal Bun can report maps to its number, and numbers to their names.
import { describe, expect, test } from "bun:test";
import { FREEBSD_SIGNALS, signalName, signalNumber, signalTable } from "../../../src/support/signals.ts";

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
