// Table tests for src/pot/naming.ts: pot names from Nomad task ids, safe set, determinism, no collisions.
import { describe, expect, test } from "bun:test";
import {
  applyPotDotRule,
  importedPotName,
  isDriverPotName,
  isSafePotName,
  parseTaskId,
  POT_NAME_MAX_LENGTH,
  potNameForTask,
  preparedPotName,
  sanitizeNamePart,
} from "../../../src/pot/naming.ts";

const ALLOC = "0b6c4f5e-1d2a-4b8e-9f00-123456789abc";
const INVOCATION = "3f2a1b0c";
const name = (taskName: string) => potNameForTask({ allocId: ALLOC, taskName, invocationId: INVOCATION });

/** What pot prepare does with -n and -a (docs/pot-behaviour.md, prepare). */
const potWouldName = (n: string, a: string) => applyPotDotRule(`${n}_${a}`);

describe("parseTaskId", () => {
  test.each([
    [`${ALLOC}/web/${INVOCATION}`, { allocId: ALLOC, taskName: "web", invocationId: INVOCATION }],
    [`${ALLOC}/a/b/${INVOCATION}`, { allocId: ALLOC, taskName: "a/b", invocationId: INVOCATION }],
    ["a//c", null],
    ["a/b", null],
    ["/b/c", null],
    ["a/b/", null],
    ["", null],
  ])("%p", (taskId, expected) => {
    expect(parseTaskId(taskId)).toEqual(expected);
  });
});

describe("potNameForTask", () => {
  test("a plain task name is kept: <task>_<invocation>_<alloc>", () => {
    const naming = name("web");
    expect(naming.potName).toBe(`web_${INVOCATION}_${ALLOC}`);
    expect(naming.prepareName).toBe("web");
    expect(naming.prepareAllocId).toBe(`${INVOCATION}_${ALLOC}`);
  });

  const awkward: [string, string][] = [
    ["dots", "web.frontend"],
    ["space", "my task"],
    ["double quote", 'say "hi"'],
    ["single quote", "it's"],
    ["command substitution", "$(rm -rf /)"],
    ["backquotes", "`id`"],
    ["semicolon", "a;b"],
    ["newline", "line1\nline2"],
    ["tab", "a\tb"],
    ["unicode", "naïve-tâche"],
    ["emoji", "rocket🚀"],
    ["CJK", "任务"],
    ["slash", "a/b"],
    ["leading dash", "-rf"],
    ["pipe and ampersand", "a|b&c"],
    ["glob", "*?[x]"],
    ["only dots", "..."],
    ["looks like a hash suffix", "web-deadbeef"],
    ["very long", "x".repeat(200)],
    ["long with unicode", "é".repeat(80)],
  ];

  test.each(awkward)("%s: safe, bounded, and what pot would produce", (_label, taskName) => {
    const naming = name(taskName);
    expect(isSafePotName(naming.potName)).toBe(true);
    expect(naming.potName.length).toBeLessThanOrEqual(POT_NAME_MAX_LENGTH);
    expect(naming.potName).not.toContain(".");
    expect(potWouldName(naming.prepareName, naming.prepareAllocId)).toBe(naming.potName);
    expect(naming.potName.endsWith(`_${INVOCATION}_${ALLOC}`)).toBe(true);
  });

  test("deterministic", () => {
    for (const [, taskName] of awkward) expect(name(taskName)).toEqual(name(taskName));
  });

  test("distinct task names give distinct pot names", () => {
    const inputs = [
      ...awkward.map(([, t]) => t),
      "web",
      "web_frontend",
      "web-frontend",
      "web.frontend",
      "web frontend",
      "a_b",
      "a;b",
      "a b",
      "a.b",
      "_rf",
      "x".repeat(199),
      "x".repeat(201),
      "é".repeat(81),
      "e".repeat(80),
    ];
    const unique = [...new Set(inputs)];
    const names = unique.map((t) => name(t).potName);
    expect(new Set(names).size).toBe(unique.length);
  });

  test("the unique part stays inside pf's 55-character anchor", () => {
    const potName = name("x".repeat(200)).potName;
    expect(potName.slice(-55)).toContain(`${INVOCATION}_${ALLOC}`);
  });

  test("unexpected invocation and alloc ids are rewritten too", () => {
    const naming = potNameForTask({ allocId: "alloc.with.dots", taskName: "web", invocationId: "inv/../x" });
    expect(isSafePotName(naming.potName)).toBe(true);
    expect(naming.potName.startsWith("web_")).toBe(true);
    expect(potWouldName(naming.prepareName, naming.prepareAllocId)).toBe(naming.potName);
  });
});

describe("sanitizeNamePart", () => {
  test.each([
    ["web", 20, "web"],
    ["web-1_2", 20, "web-1_2"],
  ])("keeps %p", (part, max, expected) => {
    expect(sanitizeNamePart(part, max)).toBe(expected);
  });

  test.each([["a.b"], ["a b"], [""], ["-x"], ["web-deadbeef"], ["x".repeat(21)]])("rewrites %p with a hash suffix", (part) => {
    const out = sanitizeNamePart(part, 20);
    expect(out).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]*-[0-9a-f]{8}$/);
    expect(out.length).toBeLessThanOrEqual(20);
  });

  test("refuses a budget that cannot hold the suffix", () => {
    expect(() => sanitizeNamePart("x", 9)).toThrow(RangeError);
  });
});

describe("pot's own naming rules", () => {
  test.each([
    ["nginx-nomad-amd64-13_1", "1.1.13", "www1", "3f2a1b0c_uuid", "www1_3f2a1b0c_uuid"],
    ["nginx-nomad-amd64-13_1", "1.1.13", undefined, "a.b", "nginx-nomad-amd64-13_1_1_1_13_a_b"],
    ["img", "1.0", "web.x", "a", "web_x_a"],
  ])("prepare -p %s -t %s -n %s -a %s", (image, tag, n, a, expected) => {
    expect(preparedPotName(image, tag, a, n)).toBe(expected);
  });

  test.each([
    ["test-pot-single", "1.0", "test-pot-single_1_0"],
    ["test-pot-single", "v1.0", "test-pot-single_v1_0"],
  ])("import %s @ %s", (image, tag, expected) => {
    expect(importedPotName(image, tag)).toBe(expected);
  });

  test.each([
    ["web", true],
    ["web_1-2", true],
    ["", false],
    ["a.b", false],
    ["-a", false],
    ["a b", false],
    ["x".repeat(64), false],
    ["x".repeat(63), true],
  ])("isSafePotName(%p) = %p", (potName, expected) => {
    expect(isSafePotName(potName)).toBe(expected);
  });
});

describe("isDriverPotName", () => {
  test("every name the driver builds matches", () => {
    for (const task of ["web", "nginx-pot", "a.b", "with space", "ünïcode", "x".repeat(80), "-dash"]) {
      expect(isDriverPotName(name(task).potName)).toBe(true);
    }
  });
  test.each([
    "nginx_1_0",
    "FBSD120-nginx_1_0",
    "web_3f2a1b0c",
    `web_3F2A1B0C_${ALLOC}`,
    `web_3f2a1b0c_${ALLOC}x`,
    `_${INVOCATION}_${ALLOC}`.slice(1),
    `web.x_3f2a1b0c_${ALLOC}`,
  ])("%p does not", (candidate) => {
    expect(isDriverPotName(candidate)).toBe(false);
  });
});
