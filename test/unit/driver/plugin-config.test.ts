// Tests for src/driver/plugin-config.ts: defaults without a config block, golden agent configs, bad values.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultPluginConfig,
  type PluginConfig,
  parseGoDurationMs,
  pluginConfigSpec,
  validatePluginConfig,
} from "../../../src/driver/plugin-config.ts";
import { type CtyObject, decodeCtyMsgpack } from "../../../src/plugin/msgpack.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/msgpack");

function fixture(name: string): CtyObject {
  const result = decodeCtyMsgpack(new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`))));
  if (!result.ok) throw result.error;
  return result.value as CtyObject;
}

const DEFAULTS: PluginConfig = {
  enabled: true,
  potPath: "/usr/local/bin/pot",
  childPath: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  stateDir: "/var/db/pot-task-driver",
  allowedHostPaths: [],
  fingerprintPeriodMs: 30_000,
  logLevel: "info",
};

describe("defaults", () => {
  test("empty msgpack bytes (no config block) give every default", () => {
    const decoded = decodeCtyMsgpack(new Uint8Array(0));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(validatePluginConfig(decoded.value)).toEqual({ ok: true, config: DEFAULTS });
  });

  test("an empty object gives every default", () => {
    expect(validatePluginConfig({})).toEqual({ ok: true, config: DEFAULTS });
  });

  test("Nomad's own decoding of {} through our Default specs gives the same defaults", () => {
    expect(validatePluginConfig(fixture("plugin-empty"))).toEqual({ ok: true, config: DEFAULTS });
  });

  test("defaultPluginConfig", () => {
    expect(defaultPluginConfig()).toEqual(DEFAULTS);
  });
});

describe("golden agent configs", () => {
  test("every attribute set", () => {
    expect(validatePluginConfig(fixture("plugin-full"))).toEqual({
      ok: true,
      config: {
        enabled: false,
        potPath: "/opt/pot/bin/pot",
        childPath: "/opt/pot/bin:/usr/bin:/bin",
        stateDir: "/var/db/nomad-pot",
        allowedHostPaths: ["/srv/www", "/usr/local/etc/ssl"],
        fingerprintPeriodMs: 90_000,
        logLevel: "debug",
      },
    });
  });

  test("some attributes set", () => {
    expect(validatePluginConfig(fixture("plugin-partial"))).toEqual({
      ok: true,
      config: { ...DEFAULTS, allowedHostPaths: ["/srv"], logLevel: "trace" },
    });
  });
});

describe("bad values", () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["enabled as a string", { enabled: "yes" }, ["config.enabled"]],
    ["relative pot_path", { pot_path: "bin/pot" }, ["config.pot_path"]],
    ["state_dir with ..", { state_dir: "/var/db/../tmp" }, ["config.state_dir"]],
    [
      "relative allowed path",
      { allowed_host_paths: ["/srv", "data", "/x/./y"] },
      ["config.allowed_host_paths[1]", "config.allowed_host_paths[2]"],
    ],
    ["duration without unit", { fingerprint_period: "30" }, ["config.fingerprint_period"]],
    ["negative duration", { fingerprint_period: "-30s" }, ["config.fingerprint_period"]],
    ["too short a period", { fingerprint_period: "10ms" }, ["config.fingerprint_period"]],
    ["too long a period", { fingerprint_period: "25h" }, ["config.fingerprint_period"]],
    ["log level warning", { log_level: "warning" }, ["config.log_level"]],
    ["path with an empty entry", { path: "/usr/local/bin::/bin" }, ["config.path"]],
    ["path with a relative entry", { path: "/usr/local/bin:bin" }, ["config.path"]],
    ["empty path", { path: "" }, ["config.path"]],
    ["an unknown key", { pot_root: "/opt/pot" }, ["config.pot_root"]],
    [
      "all at once",
      { enabled: 1, pot_path: "pot", log_level: "fatal", fingerprint_period: "soon" },
      ["config.enabled", "config.pot_path", "config.fingerprint_period", "config.log_level"],
    ],
  ];
  for (const [what, config, paths] of cases) {
    test(what, () => {
      const result = validatePluginConfig(config);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues.map((issue) => issue.path)).toEqual(paths);
    });
  }

  test("allowed paths are written one canonical way", () => {
    const result = validatePluginConfig({ allowed_host_paths: ["/srv/www/", "//data//x", "/"] });
    expect(result.ok && result.config.allowedHostPaths).toEqual(["/srv/www", "/data/x", "/"]);
  });
});

test("a bad path is named with its value", () => {
  const result = validatePluginConfig({ path: "/usr/local/bin:." });
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.issues).toHaveLength(1);
  expect(result.issues[0]?.value).toBe("/usr/local/bin:.");
  expect(result.issues[0]?.message).toContain('"."');
});

describe("parseGoDurationMs", () => {
  const cases: [string, number | undefined][] = [
    ["30s", 30_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["250000us", 250],
    ["1000000000ns", 1000],
    ["2h45m", 9_900_000],
    ["", undefined],
    ["30", undefined],
    ["s", undefined],
    ["1d", undefined],
    ["-1s", undefined],
    ["1 s", undefined],
  ];
  for (const [text, ms] of cases) {
    test(`${JSON.stringify(text)} → ${ms}`, () => {
      expect(parseGoDurationMs(text)).toBe(ms as number);
    });
  }
});

test("the spec gives every attribute a Default with a literal", () => {
  const spec = pluginConfigSpec();
  if (spec.kind !== "object") throw new Error("root must be an object");
  expect(Object.keys(spec.attributes).sort()).toEqual(Object.keys(fixture("plugin-empty")).sort());
  for (const [name, node] of Object.entries(spec.attributes)) {
    expect(node.kind).toBe("default");
    if (node.kind !== "default") continue;
    expect(node.primary).toMatchObject({ kind: "attr", name, required: false });
    expect(node.fallback.kind).toBe("literal");
  }
});
