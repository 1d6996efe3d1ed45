// Runs the supervisor script directly under each POSIX shell on this host, so no one shell's quirks are relied on.
//
// dash stands in for FreeBSD's sh (both descend from ash); bash runs in POSIX mode.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SUPERVISOR_SCRIPT } from "../../../src/supervisor/script.ts";
import { tempDir } from "./helpers.ts";

const root = tempDir("script-it");
afterAll(() => root.cleanup());

const shells: [string, string[]][] = [
  ["dash", ["dash"]],
  ["bash --posix", ["bash", "--posix"]],
  ["/bin/sh", ["/bin/sh"]],
].filter(([, argv]) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", argv[0] as string]).status === 0) as [
  string,
  string[],
][];

describe.each(shells)("under %s", (name, shell) => {
  const dir = join(root.dir, name.replace(/\W+/g, "_"));
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "supervise.sh");
  writeFileSync(script, SUPERVISOR_SCRIPT);

  test("parses", () => {
    const result = spawnSync(shell[0] as string, [...shell.slice(1), "-n", script], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  test("records the argv's status, writes its pid file and logs only to supervisor.log", () => {
    const out = join(dir, "out.txt");
    const result = spawnSync(
      shell[0] as string,
      [...shell.slice(1), script, "token-1", dir, out, out, "sh", "-c", 'echo "args:$#:$1"; exit 4', "sh", "a b"],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "exit.json"), "utf8"))).toMatchObject({ version: 1, status: 4 });
    expect(readFileSync(join(dir, "supervisor.pid"), "utf8")).toMatch(/^\d+ token-1\n$/);
    expect(readFileSync(out, "utf8")).toBe("args:1:a b\n");
    expect(readFileSync(join(dir, "supervisor.log"), "utf8")).toContain("command ended with status 4");
    expect(existsSync(join(dir, ".exit.json.tmp"))).toBe(false);
  });
});
