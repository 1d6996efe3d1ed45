// Tests for src/support/child-env.ts: the fixed environment of every child, and the PATH rules.
import { afterEach, describe, expect, test } from "bun:test";
import { childEnv, childPathProblem, DEFAULT_CHILD_PATH } from "../../../src/support/child-env.ts";

const CANARY = "POT_DRIVER_TEST_CANARY";

afterEach(() => {
  delete process.env[CANARY];
  delete process.env.NOMAD_PLUGIN_MAGIC_COOKIE;
});

describe("childEnv", () => {
  test("holds PATH only, whatever the plugin's own environment has", () => {
    process.env[CANARY] = "secret";
    process.env.NOMAD_PLUGIN_MAGIC_COOKIE = "cookie";
    expect(childEnv()).toEqual({ PATH: DEFAULT_CHILD_PATH });
  });

  test("adds LC_ALL=C for output that is parsed", () => {
    expect(childEnv({ parsed: true })).toEqual({ PATH: DEFAULT_CHILD_PATH, LC_ALL: "C" });
  });

  test("takes the configured PATH", () => {
    expect(childEnv({ path: "/opt/bin:/bin" })).toEqual({ PATH: "/opt/bin:/bin" });
  });

  test("the default PATH finds pot's helpers in /usr/local and the base tools", () => {
    const dirs = DEFAULT_CHILD_PATH.split(":");
    for (const dir of ["/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin"]) expect(dirs).toContain(dir);
    expect(childPathProblem(DEFAULT_CHILD_PATH)).toBeUndefined();
  });

  test("each call gives a fresh object", () => {
    const first = childEnv();
    first.EXTRA = "x";
    expect(childEnv()).toEqual({ PATH: DEFAULT_CHILD_PATH });
  });
});

describe("childPathProblem", () => {
  const bad: [string, string][] = [
    ["", "empty"],
    ["/usr/bin:", "empty entry"],
    [":/usr/bin", "empty entry"],
    ["/usr/bin::/bin", "empty entry"],
    ["bin:/usr/bin", "absolute"],
    ["/usr/bin:.", "absolute"],
    ["/usr/../bin", ". or .."],
    ["/usr/./bin", ". or .."],
    ["/usr/bin\n/bin", "control"],
  ];
  for (const [path, why] of bad) {
    test(`refuses ${JSON.stringify(path)}`, () => {
      expect(childPathProblem(path)).toContain(why);
    });
  }
  test("accepts one directory and a list", () => {
    expect(childPathProblem("/bin")).toBeUndefined();
    expect(childPathProblem("/opt/pot/bin:/usr/bin")).toBeUndefined();
  });
});
