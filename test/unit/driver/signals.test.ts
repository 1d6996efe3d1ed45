import { describe, expect, test } from "bun:test";
import { normalizeSignal } from "../../../src/driver/signals.ts";

describe("normalizeSignal", () => {
  test.each([
    ["SIGHUP", "SIGHUP"],
    ["hup", "SIGHUP"],
    [" sigusr1 ", "SIGUSR1"],
    ["SIGINFO", "SIGINFO"],
    ["SIGIOT", "SIGABRT"],
    ["SIGBOGUS", null],
    ["", null],
    ["9", null],
    ["SIGPWR", null],
    ["SIGTHR", null],
    ["SIGLIBRT", null],
    ["SIGPOLL", null],
  ])("%p → %p", (input, expected) => {
    expect(normalizeSignal(input)).toBe(expected);
  });

  test("every classic FreeBSD signal (1–31) is known by its name", () => {
    const names = ["HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV", "SYS", "PIPE", "ALRM", "TERM", "URG"];
    names.push("STOP", "TSTP", "CONT", "CHLD", "TTIN", "TTOU", "IO", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "INFO", "USR1", "USR2");
    expect(names).toHaveLength(31);
    for (const name of names) expect(normalizeSignal(name)).toBe(`SIG${name}`);
  });
});
