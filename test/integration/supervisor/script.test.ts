// Runs the supervisor script directly under each POSIX shell on this host, so no one shell's quirks are relied on.
//
// dash stands in for FreeBSD's sh (both descend from ash); bash runs in POSIX mode.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SUPERVISOR_SCRIPT } from "../../../src/supervisor/script.ts";
import { tempDir } from "../../support/supervision.ts";

const root = tempDir("script-it");
afterAll(() => root.cleanup());

/** Each shell's name and its argv: the program, then its options. */
const candidates: [string, [string, ...string[]]][] = [
  ["dash", ["dash"]],
  ["bash --posix", ["bash", "--posix"]],
  ["/bin/sh", ["/bin/sh"]],
];
const shells = candidates.filter(([, [program]]) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", program]).status === 0);

describe.each(shells)("under %s", (name, shell) => {
  const dir = join(root.dir, name.replace(/\W+/g, "_"));
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "supervise.sh");
  writeFileSync(script, SUPERVISOR_SCRIPT);

  test("parses", () => {
    const result = spawnSync(shell[0], [...shell.slice(1), "-n", script], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  test("records the argv's status, writes its pid file and logs only to supervisor.log", () => {
    const out = join(dir, "out.txt");
    const result = spawnSync(
      shell[0],
      [
        ...shell.slice(1),
        script,
        "token-1",
        dir,
        out,
        out,
        realpathSync(dir),
        realpathSync(dir),
        "sh",
        "-c",
        'echo "args:$#:$1"; exit 4',
        "sh",
        "a b",
      ],
      { encoding: "utf8" },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "exit.json"), "utf8"))).toMatchObject({ version: 2, status: 4 });
    expect(readFileSync(join(dir, "supervisor.pid"), "utf8")).toMatch(/^\d+ token-1\n$/);
    expect(readFileSync(out, "utf8")).toBe("args:1:a b\n");
    expect(readFileSync(join(dir, "supervisor.log"), "utf8")).toContain("command ended with status 4");
    // Written in place by printf: no temp file is left beside the records.
    expect(readdirSync(dir).filter((name) => name.startsWith("."))).toEqual([]);
  });

  // A task that can write into alloc/logs plants a symlink to a host file; the root supervisor must not follow it.
  describe("refuses a log path it must not open as root", () => {
    const canary = join(dir, "host-canary");
    const logs = join(dir, "logs");
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(logs, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(join(logs, "a-directory"), { recursive: true });
    writeFileSync(canary, "host secret\n");
    symlinkSync(canary, join(logs, "fifo-link"));
    symlinkSync(elsewhere, join(dir, "logs-link"));
    const runBoth = (out: string, outDir: string, err: string, errDir: string) => {
      for (const file of ["exit.json", "supervisor.pid"]) if (existsSync(join(dir, file))) writeFileSync(join(dir, file), "");
      const result = spawnSync(
        shell[0],
        [...shell.slice(1), script, "token-2", dir, out, err, outDir, errDir, "sh", "-c", "echo ran; echo ran >&2"],
        { encoding: "utf8" },
      );
      expect(result.status).toBe(0);
      return JSON.parse(readFileSync(join(dir, "exit.json"), "utf8")) as Record<string, unknown>;
    };
    const run = (out: string, outDir: string) => runBoth(out, outDir, "/dev/null", "/dev");
    test.each([
      ["the stream path is a symlink to a host file", () => join(logs, "fifo-link"), () => realpathSync(logs), "symlink"],
      ["the stream path is a directory", () => join(logs, "a-directory"), () => realpathSync(logs), "type"],
      [
        "the directory is reached through a symlink",
        () => join(dir, "logs-link", "out"),
        () => join(realpathSync(dir), "logs-link"),
        "directory",
      ],
    ])("%s", (_what, out, outDir, why) => {
      expect(run(out(), outDir())).toMatchObject({ version: 2, error: "unsafe-stdout", why });
      expect(readFileSync(canary, "utf8")).toBe("host secret\n");
      expect(existsSync(join(elsewhere, "out"))).toBe(false);
    });
    test("a missing directory is a failure to open, as before", () => {
      expect(run(join(dir, "no-such-dir", "out"), join(realpathSync(dir), "no-such-dir"))).toMatchObject({ error: "open-stdout" });
    });
    test("stderr is checked the same way once stdout is open, and the command does not run", () => {
      const out = join(logs, "stdout-of-refused-run");
      expect(runBoth(out, realpathSync(logs), join(logs, "fifo-link"), realpathSync(logs))).toMatchObject({
        version: 2,
        error: "unsafe-stderr",
        why: "symlink",
      });
      expect(readFileSync(canary, "utf8")).toBe("host secret\n");
      expect(runBoth(out, realpathSync(logs), join(dir, "no-such-dir", "err"), join(realpathSync(dir), "no-such-dir"))).toMatchObject({
        error: "open-stderr",
      });
      expect(readFileSync(out, "utf8")).toBe("");
      expect(readFileSync(join(dir, "supervisor.log"), "utf8")).toContain(`refused stderr ${join(logs, "fifo-link")}: symlink`);
    });
  });
});
