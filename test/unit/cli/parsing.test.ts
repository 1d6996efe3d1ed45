// Table tests for the cli layer's pure readers: options, rc.conf, agent configuration, tables, path resolution.
import { describe, expect, test } from "bun:test";
import { scanAgentConfig } from "../../../src/cli/agent-config.ts";
import { agentConfigPaths, DEFAULT_PLUGIN_DIR, rcConfFiles, resolvePaths } from "../../../src/cli/doctor-settings.ts";
import { commandOptions, parseOptions } from "../../../src/cli/options.ts";
import { nomadArgsPaths, parseEnvList, parseRcConf } from "../../../src/cli/rc-conf.ts";
import { renderTable } from "../../../src/cli/table.ts";
import { DEFAULT_CHILD_PATH } from "../../../src/support/child-env.ts";
import { agentFile, rcVarsOf } from "./fixtures.ts";

describe("parseOptions", () => {
  const specs = { "pot-path": "value", "agent-config": "list", yes: "flag" } as const;
  test.each<[string[], unknown]>([
    [[], { values: {}, lists: {}, flags: {} }],
    [["--pot-path", "/p"], { values: { "pot-path": "/p" }, lists: {}, flags: {} }],
    [["--pot-path=/p", "--pot-path", "/q"], { values: { "pot-path": "/q" }, lists: {}, flags: {} }],
    [
      ["--agent-config", "a", "b", "--yes", "--agent-config=c"],
      { values: {}, lists: { "agent-config": ["a", "b", "c"] }, flags: { yes: true } },
    ],
    [["-h"], { values: {}, lists: {}, flags: { help: true } }],
  ])("%p", (argv, options) => {
    expect(parseOptions(argv, specs)).toEqual({ ok: true, options } as never);
  });
  test.each<[string[], string]>([
    [["--nope"], "unknown option --nope"],
    [["--pot-path"], "--pot-path needs a value"],
    [["--pot-path", "--yes"], "--pot-path needs a value"],
    [["--pot-path="], "--pot-path needs a non-empty value"],
    [["--yes=1"], "--yes takes no value"],
    [["stray"], 'unexpected argument "stray"'],
  ])("%p is refused", (argv, error) => {
    expect(parseOptions(argv, specs)).toEqual({ ok: false, error });
  });
});

describe("commandOptions", () => {
  const specs = { yes: "flag" } as const;
  function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const result = commandOptions("orphans", argv, specs, "usage: x\n", { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { result, out: out.join(""), err: err.join("") };
  }
  test("bad words: the error and the usage on stderr, exit status 2", () => {
    expect(run(["--nope"])).toEqual({
      result: { ok: false, exitCode: 2 },
      out: "",
      err: "pot-task-driver orphans: unknown option --nope\n\nusage: x\n",
    });
  });
  test("--help: the usage on stdout, exit status 0", () => {
    expect(run(["--yes", "-h"])).toEqual({ result: { ok: false, exitCode: 0 }, out: "usage: x\n", err: "" });
  });
  test("otherwise the options, nothing written", () => {
    expect(run(["--yes"])).toEqual({ result: { ok: true, options: { values: {}, lists: {}, flags: { yes: true } } }, out: "", err: "" });
  });
});

describe("parseRcConf", () => {
  test("quoting, comments, overrides and skipped lines", () => {
    const vars = parseRcConf(
      [
        'a="x y" # comment',
        "b='single $x'",
        "c=plain",
        'd="esc \\"q\\" \\$HOME"',
        "e=",
        "# f=commented",
        "  g=indented",
        "a=second",
        ". /etc/other.conf",
        'h="unterminated',
        "i=one two",
        "j=con\"cat\"'ed'",
        "k=#notacomment",
      ].join("\n"),
    );
    expect(Object.fromEntries([...vars].map(([name, { value }]) => [name, value]))).toEqual({
      a: "second",
      b: "single $x",
      c: "plain",
      d: 'esc "q" $HOME',
      e: "",
      g: "indented",
      j: "concated",
      k: "#notacomment",
    });
    expect(vars.get("a")?.line).toBe(8);
  });
  test("parseEnvList", () => {
    expect(Object.fromEntries(parseEnvList("PATH=/a:/b  LANG=C junk"))).toEqual({ PATH: "/a:/b", LANG: "C" });
  });
  test.each<[string, ReturnType<typeof nomadArgsPaths>]>([
    ["-config=/etc/nomad", { configPaths: ["/etc/nomad"] }],
    ["-config /a.hcl --config=/b.hcl -plugin-dir /p -bind 0.0.0.0", { configPaths: ["/a.hcl", "/b.hcl"], pluginDir: "/p" }],
    ["-data-dir=/x -data-dir /y", { configPaths: [], dataDir: "/y" }],
    ["-dev", { configPaths: [] }],
  ])("nomadArgsPaths %p", (args, expected) => {
    expect(nomadArgsPaths(args)).toEqual(expected);
  });
});

describe("scanAgentConfig (HCL)", () => {
  test("finds top-level plugin blocks, their config and plugin_dir", () => {
    const scan = scanAgentConfig(
      `# agent
data_dir = "/var/tmp/nomad"
plugin_dir = "/usr/local/libexec/nomad/plugins"
client {
  enabled = true
  # plugin "in-a-comment" {}
  meta { plugin_dir = "not/top/level" }
}
/* plugin "in-a-block-comment" { } */
plugin "raw_exec" { config { enabled = true } }
plugin "pot-task-driver" {
  config {
    pot_path  = "/opt/pot/bin/pot" // trailing comment
    state_dir = "/var/db/x{y}"
    enabled   = false
    allowed_host_paths = ["/root", "/tmp"]
    extra = <<EOT
plugin "in-a-heredoc" {
EOT
  }
}
`,
      "agent.hcl",
    );
    expect(scan.pluginDir).toBe("/usr/local/libexec/nomad/plugins");
    expect(scan.dataDir).toBe("/var/tmp/nomad");
    expect(scan.pluginBlocks.map((b) => b.name)).toEqual(["raw_exec", "pot-task-driver"]);
    const pot = scan.pluginBlocks[1];
    expect(pot?.line).toBe(11);
    expect(pot?.config).toEqual({
      pot_path: "/opt/pot/bin/pot",
      state_dir: "/var/db/x{y}",
      enabled: "false",
      extra: 'plugin "in-a-heredoc" {\n',
    });
  });
  test("a block without config and a one-line block", () => {
    const scan = scanAgentConfig('plugin "nomad-pot-driver" {}\nplugin "x" {\n}\n', "a.hcl");
    expect(scan.pluginBlocks).toEqual([
      { name: "nomad-pot-driver", config: {}, line: 1 },
      { name: "x", config: {}, line: 2 },
    ]);
  });
  test("unbalanced text does not throw", () => {
    expect(scanAgentConfig('plugin "a" {\n config {\n', "a.hcl").pluginBlocks).toEqual([{ name: "a", config: {}, line: 1 }]);
    expect(scanAgentConfig('}}} plugin_dir = "/p"\n', "a.hcl").pluginDir).toBe("/p");
  });
});

describe("scanAgentConfig (JSON)", () => {
  test.each([
    [{ plugin_dir: "/p", plugin: { "pot-task-driver": { config: { pot_path: "/x", enabled: true } } } }],
    [{ plugin_dir: "/p", plugin: [{ "pot-task-driver": [{ config: [{ pot_path: "/x", enabled: true }] }] }] }],
  ])("object and array forms: %#", (json) => {
    const scan = scanAgentConfig(JSON.stringify(json), "agent.json");
    expect(scan).toEqual({
      pluginDir: "/p",
      pluginBlocks: [{ name: "pot-task-driver", config: { pot_path: "/x", enabled: "true" }, line: 0 }],
    });
  });
  test("invalid JSON is an error, not a throw", () => {
    expect(scanAgentConfig("{", "agent.json").error).toContain("not valid JSON");
  });
});

describe("renderTable", () => {
  test("aligns columns, keeps multi-line cells under their column, trims trailing blanks", () => {
    expect(
      renderTable(
        ["A", "LONGER", "LAST"],
        [
          ["x", "y", "one\ntwo"],
          ["wide-cell", "", "z"],
        ],
      ),
    ).toBe(["A          LONGER  LAST", "x          y       one", "                   two", "wide-cell          z", ""].join("\n"));
  });
});

describe("doctor settings", () => {
  test("rc.conf files: the flag's file, else rc(8)'s", () => {
    expect(rcConfFiles({ rcConf: "/x" })).toEqual(["/x"]);
    expect(rcConfFiles({})).toEqual(["/etc/rc.conf", "/etc/rc.conf.local", "/etc/rc.conf.d/nomad"]);
  });
  test("agent config paths: flag, then nomad_args -config, then the default", () => {
    const rc = rcVarsOf([{ path: "/etc/rc.conf", text: 'nomad_args="-config=/etc/nomad.d -config /x.hcl"\n' }]);
    expect(agentConfigPaths({ agentConfigs: ["/a"] }, rc)).toEqual([{ value: "/a", source: "flag" }]);
    expect(agentConfigPaths({}, rc)).toEqual([
      { value: "/etc/nomad.d", source: "nomad_args" },
      { value: "/x.hcl", source: "nomad_args" },
    ]);
    expect(agentConfigPaths({}, new Map())).toEqual([{ value: "/usr/local/etc/nomad", source: "default" }]);
  });
  test("the path option comes from the plugin block", () => {
    const configs = [agentFile("/1.hcl", 'plugin "pot-task-driver" {\n config {\n path = "/opt/bin:/bin"\n }\n}\n')];
    expect(resolvePaths({}, configs, new Map()).childPath).toEqual({ value: "/opt/bin:/bin", source: "agent config", file: "/1.hcl" });
  });
  test("paths: flag, then the plugin block (pot-task-driver first), then defaults", () => {
    const configs = [
      agentFile(
        "/1.hcl",
        'plugin "nomad-pot-driver" {\n config {\n pot_path = "/old"\n state_dir = "/old-state"\n }\n}\nplugin_dir = "/d1"\n',
      ),
      agentFile("/2.hcl", 'plugin "pot-task-driver" {\n config {\n pot_path = "/new"\n }\n}\n'),
    ];
    expect(resolvePaths({}, configs, new Map())).toEqual({
      potPath: { value: "/new", source: "agent config", file: "/2.hcl" },
      childPath: { value: DEFAULT_CHILD_PATH, source: "default" },
      stateDir: { value: "/old-state", source: "agent config", file: "/1.hcl" },
      pluginDir: { value: "/d1", source: "agent config", file: "/1.hcl" },
    });
    expect(resolvePaths({ potPath: "/flag" }, [], new Map())).toEqual({
      potPath: { value: "/flag", source: "flag" },
      childPath: { value: DEFAULT_CHILD_PATH, source: "default" },
      stateDir: { value: "/var/db/pot-task-driver", source: "default" },
      pluginDir: { value: DEFAULT_PLUGIN_DIR, source: "default" },
    });
    const rc = rcVarsOf([{ path: "/etc/rc.conf", text: 'nomad_args="-plugin-dir=/args"\n' }]);
    expect(resolvePaths({}, configs, rc).pluginDir).toEqual({ value: "/args", source: "nomad_args" });
  });
});
