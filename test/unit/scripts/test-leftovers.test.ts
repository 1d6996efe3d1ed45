// scripts/test-leftovers.sh: after the suites, anything in the run's private TMPDIR fails the run (paths
// printed), and processes of the run still alive are printed.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO_ROOT = resolve(import.meta.dir, "../../..");
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "leftovers-"));
  dirs.push(dir);
  return dir;
}

function check(dir: string): { exitCode: number; stdout: string } {
  const proc = Bun.spawnSync(
    ["bash", "-c", 'source test/support/host.sh; source scripts/test-leftovers.sh; check_leftovers "$1" 0', "check", dir],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" },
  );
  return { exitCode: proc.exitCode, stdout: proc.stdout.toString() };
}

test("an empty run dir passes", () => {
  expect(check(runTmp())).toEqual({ exitCode: 0, stdout: "temp dir clean\n" });
});

test("whatever is left in the run dir fails, each entry printed", () => {
  const dir = runTmp();
  mkdirSync(join(dir, "potsim-abc", "state"), { recursive: true });
  writeFileSync(join(dir, "plugin0123456789ab"), "");
  expect(check(dir)).toEqual({
    exitCode: 1,
    stdout: `left in the temp dir ${dir} by the tests:\n  ${dir}/plugin0123456789ab\n  ${dir}/potsim-abc\n`,
  });
});

test.skipIf(process.platform !== "linux")("a live process of the run is printed, by its TMPDIR or a path below the run dir", () => {
  const dir = runTmp();
  const byEnv = Bun.spawn(["sleep", "30"], { env: { TMPDIR: dir }, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  // A shell loop, not one sleep: sh would exec a lone command and lose the path in its argv.
  const loop = "while :; do sleep 0.1; done";
  const byArgv = Bun.spawn(["sh", "-c", loop, `${dir}/state/supervise.sh`], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  try {
    const { exitCode, stdout } = check(dir);
    expect(exitCode).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("still running after the suites (a test did not end them):");
    expect(lines).toContain(`  ${byEnv.pid} sleep 30 `);
    expect(lines).toContain(`  ${byArgv.pid} sh -c ${loop} ${dir}/state/supervise.sh `);
    expect(lines.at(-2)).toBe("temp dir clean");
  } finally {
    byEnv.kill("SIGKILL");
    byArgv.kill("SIGKILL");
  }
});
