// Tests for src/pot/runner.ts: argv without a shell, output capture, exit status, deadline kills the group.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpawnRunner } from "../../../src/pot/runner.ts";
import { isLiveProcess } from "../../support/host.ts";

const runner = new SpawnRunner();

function processAlive(pid: number): boolean {
  return isLiveProcess(pid);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await Bun.sleep(20);
  }
  return condition();
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
    const dir = mkdtempSync(join(tmpdir(), "runner-"));
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
    const dir = mkdtempSync(join(tmpdir(), "runner-"));
    const pidFile = join(dir, "child.pid");
    const result = await runner.run(
      ["/bin/sh", "-c", `echo started; sleep 30 & echo $! > ${pidFile}; wait`],
      { timeoutMs: 300, killGraceMs: 200 },
    );
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe("started\n");
    const childPid = Number(readFileSync(pidFile, "utf8"));
    expect(await waitFor(() => !processAlive(childPid), 3000)).toBe(true);
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

  test("an empty argv is refused", async () => {
    await expect(runner.run([])).rejects.toThrow("empty argv");
  });
});
