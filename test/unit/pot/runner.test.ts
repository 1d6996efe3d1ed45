// Tests for src/pot/runner.ts: argv without a shell, output capture, exit status, deadline kills the group.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpawnRunner } from "../../../src/pot/runner.ts";
import { isLiveProcess } from "../../support/host.ts";
import { waitFor } from "../../support/wait.ts";

const runner = new SpawnRunner();
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "runner-"));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function signalIfAlive(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

describe("SpawnRunner", () => {
  test("passes each argument as is, without a shell", async () => {
    const tricky = ["$(echo pwned)", "a b", "'q'", ";", "*", "\n"];
    const result = await runner.run(["/usr/bin/printf", "%s|", ...tricky]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(tricky.map((t) => `${t}|`).join(""));
    expect(result.timedOut).toBe(false);
  });

  test("captures stdout and stderr separately with the exit status and duration", async () => {
    const result = await runner.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(result).toMatchObject({ exitCode: 7, signal: null, stdout: "out\n", stderr: "err\n", timedOut: false, aborted: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  test("adds env on top of the current environment and honours cwd", async () => {
    const dir = tempDir();
    const result = await runner.run(["/bin/sh", "-c", 'printf "%s %s %s" "$RUNNER_TEST" "$PWD" "${PATH:+has-path}"'], {
      env: { RUNNER_TEST: "yes" },
      cwd: dir,
    });
    expect(result.stdout).toBe(`yes ${dir} has-path`);
  });

  test("reports a signal death", async () => {
    const result = await runner.run(["/bin/sh", "-c", "kill -TERM $$"]);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe("SIGTERM");
  });

  test("a deadline kills the whole process group, output so far is kept", async () => {
    const dir = tempDir();
    const pidFile = join(dir, "child.pid");
    const result = await runner.run(["/bin/sh", "-c", `echo started; sleep 30 & echo $! > ${pidFile}; wait`], {
      timeoutMs: 300,
      killGraceMs: 200,
    });
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe("started\n");
    const childPid = Number(readFileSync(pidFile, "utf8"));
    expect(await waitFor("the child to be gone", () => !isLiveProcess(childPid), 3000)).toBe(true);
  });

  test("SIGKILL follows when SIGTERM is ignored", async () => {
    const started = Date.now();
    const result = await runner.run(["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"], { timeoutMs: 200, killGraceMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe("SIGKILL");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("an abort signal kills the process", async () => {
    const controller = new AbortController();
    const pending = runner.run(["/bin/sleep", "30"], { signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(result.aborted).toBe(true);
    expect(result.exitCode).toBeNull();
  });

  test("a missing executable rejects with the spawn failure as cause", async () => {
    const missing = "/nonexistent/pot";
    expect(existsSync(missing)).toBe(false);
    const error = await runner.run([missing, "version"]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).cause).toBeDefined();
  });

  // A fresh process per case: the runner must not leave anything in TMPDIR, whether the plugin exits normally
  // or is SIGKILLed while pot runs.
  const RUNNER_MODULE = join(import.meta.dir, "../../../src/pot/runner.ts");

  function runnerProcess(privateTmp: string, script: string): Bun.Subprocess<"ignore", "pipe", "pipe"> {
    const code = `import { SpawnRunner } from ${JSON.stringify(RUNNER_MODULE)};\nconst runner = new SpawnRunner();\n${script}`;
    return Bun.spawn({
      cmd: [process.execPath, "-e", code],
      env: { ...process.env, TMPDIR: privateTmp },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  }

  test("output capture leaves nothing in TMPDIR, not even a directory", async () => {
    const privateTmp = tempDir();
    const proc = runnerProcess(
      privateTmp,
      `const results = await Promise.all([
         runner.run(["/bin/sh", "-c", "echo one; echo two >&2"]),
         runner.run(["/bin/sh", "-c", "kill -KILL $$"]),
         runner.run(["/bin/sleep", "30"], { timeoutMs: 50, killGraceMs: 50 }),
       ]);
       console.log(JSON.stringify(results.map((r) => [r.stdout, r.stderr, r.signal, r.timedOut])));`,
    );
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect({ exitCode: await proc.exited, stderr }).toEqual({ exitCode: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual([
      ["one\n", "two\n", null, false],
      ["", "", "SIGKILL", false],
      ["", "", "SIGTERM", true],
    ]);
    expect(readdirSync(privateTmp)).toEqual([]);
  });

  test("a plugin SIGKILLed while a command runs leaves nothing in TMPDIR", async () => {
    const privateTmp = tempDir();
    const pidFile = join(tempDir(), "child.pid");
    const proc = runnerProcess(
      privateTmp,
      `await runner.run(["/bin/sh", "-c", ${JSON.stringify(`echo $$ > ${pidFile}; exec sleep 30`)}]);`,
    );
    let childPid = 0;
    try {
      expect(await waitFor("the child's pid file", () => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), 10_000)).toBe(
        true,
      );
      childPid = Number(readFileSync(pidFile, "utf8"));
      proc.kill("SIGKILL");
      await proc.exited;
      expect(readdirSync(privateTmp)).toEqual([]);
    } finally {
      proc.kill("SIGKILL");
      if (childPid > 0) signalIfAlive(childPid);
    }
    expect(await waitFor("the child to be gone", () => !isLiveProcess(childPid), 3000)).toBe(true);
  });

  test("an empty argv is refused", async () => {
    await expect(runner.run([])).rejects.toThrow("empty argv");
  });
});
