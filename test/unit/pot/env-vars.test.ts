// Tests for src/pot/env-vars.ts: the variables pot can carry into a jail.
import { describe, expect, test } from "bun:test";
import { isValidEnvName, isValidEnvValue } from "../../../src/pot/env-vars.ts";

describe("isValidEnvName", () => {
  test.each([
    ["PATH", true],
    ["_x1", true],
    ["NOMAD_META_a.b", false],
    ["a-b", false],
    ["1A", false],
    ["", false],
  ])("isValidEnvName(%p) = %p", (name, expected) => {
    expect(isValidEnvName(name)).toBe(expected);
  });
});

describe("isValidEnvValue", () => {
  test.each([
    ["", true],
    ["a b", true],
    ['$HOME `id` \\ "q"', true],
    ["tab\there", true],
    ["a\nb", false],
    ["a\rb", false],
    ["a\u0000b", false],
  ])("isValidEnvValue(%j) = %p", (value, expected) => {
    expect(isValidEnvValue(value)).toBe(expected);
  });
});
