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
  ])("%p → %p", (input, expected) => {
    expect(normalizeSignal(input)).toBe(expected);
  });
});
