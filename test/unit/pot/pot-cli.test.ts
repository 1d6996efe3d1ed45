// Tests for src/pot/pot-cli.ts with a scripted runner: argv sent, outputs parsed, failures turned into PotError.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PotError } from "../../../src/pot/errors.ts";
import { DEFAULT_CHILD_PATH } from "../../../src/support/child-env.ts";
import { DEFAULT_TIMEOUTS_MS, PotCli, silentLogger } from "../../../src/pot/pot-cli.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../../../src/pot/runner.ts";
import { potRejection } from "../../support/pot-error.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "../../fixtures/pot", name), "utf8");
const POT = "web_3f2a1b0c_0b6c4f5e-1d2a-4b8e-9f00-123456789abc";

type Reply = Partial<Omit<CommandResult, "argv">> | Error;

class ScriptedRunner implements CommandRunner {
  readonly calls: { argv: readonly string[]; options: RunOptions | undefined }[] = [];
  constructor(private readonly reply: Reply) {}
  async run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    this.calls.push({ argv, options });
    if (this.reply instanceof Error) throw this.reply;
    return {
      argv,
      exitCode: 0,
      signal: null,
      stdout: "",
      stderr: "",
      durationMs: 3,
      timedOut: false,
      aborted: false,
      ...this.reply,
    };
  }
}

function cli(reply: Reply) {
  const runner = new ScriptedRunner(reply);
  return { runner, pot: new PotCli("/usr/local/bin/pot", runner, { logger: silentLogger(), env: { POT_SIM_ROOT: "/x" } }) };
}

describe("PotCli", () => {
  test("runs the pot path with the verb's argv, default deadline and env", async () => {
    const { runner, pot } = cli({ stdout: fixture("version-q.txt") });
    expect(await pot.version()).toEqual({ text: "0.16.0", major: 0, minor: 16, patch: 0 });
    expect(runner.calls[0]?.argv).toEqual(["/usr/local/bin/pot", "version", "-q"]);
    expect(runner.calls[0]?.options?.timeoutMs).toBe(DEFAULT_TIMEOUTS_MS.version);
    expect(runner.calls[0]?.options?.env).toEqual({ PATH: DEFAULT_CHILD_PATH, LC_ALL: "C", POT_SIM_ROOT: "/x" });
  });

  test("pot gets the minimal environment, never the plugin's own", async () => {
    process.env.POT_CLI_TEST_CANARY = "leak";
    try {
      const runner = new ScriptedRunner({ stdout: fixture("version-q.txt") });
      const pot = new PotCli("/usr/local/bin/pot", runner, { logger: silentLogger(), env: { PATH: "/opt/bin:/bin" } });
      await pot.version();
      expect(runner.calls[0]?.options?.env).toEqual({ PATH: "/opt/bin:/bin", LC_ALL: "C" });
      expect(pot.env).toEqual({ PATH: "/opt/bin:/bin", LC_ALL: "C" });
    } finally {
      delete process.env.POT_CLI_TEST_CANARY;
    }
  });

  test("a per-call deadline wins over the table", async () => {
    const { runner, pot } = cli({ stdout: "" });
    await pot.list({ timeoutMs: 1234 });
    expect(runner.calls[0]?.options?.timeoutMs).toBe(1234);
  });

  test("prepare returns the prepared name and the ignored steps", async () => {
    const { runner, pot } = cli({ stdout: fixture("prepare-ignoring.txt") });
    const result = await pot.prepare({ imageUrl: "http://h/i", imageName: "img", tag: "1.0", allocId: "3f2a1b0c_x", name: "www1" });
    expect(result.potName).toBe("www1_3f2a1b0c_0b6c");
    expect(result.warnings).toHaveLength(2);
    expect(runner.calls[0]?.argv[1]).toBe("prepare");
  });

  test("prepare without the info line falls back to pot's naming rule", async () => {
    const { pot } = cli({ stdout: "" });
    const result = await pot.prepare({ imageUrl: "http://h/i", imageName: "img", tag: "1.0", allocId: "a.b" });
    expect(result.potName).toBe("img_1_0_a_b");
  });

  test("a failure carries argv, exit code, kind, pot's error lines and the output tail", async () => {
    const { pot } = cli({ exitCode: 1, stdout: `###>  A pot with name ${POT} already exists\npot prepare [-hv] -p pot\n`, stderr: "" });
    const error = await potRejection(pot.prepare({ imageUrl: "http://h/i", imageName: "img", tag: "1", allocId: "x" }));
    expect(error.kind).toBe("already-exists");
    expect(error.exitCode).toBe(1);
    expect(error.argv[0]).toBe("/usr/local/bin/pot");
    expect(error.potErrors).toEqual([`A pot with name ${POT} already exists`]);
    expect(error.outputTail).toContain("already exists");
    expect(error.message).toBe(`failed to run pot prepare: exit status 1: A pot with name ${POT} already exists`);
  });

  test("a timeout is timed-out", async () => {
    const { pot } = cli({ exitCode: null, signal: "SIGTERM", timedOut: true, durationMs: 500 });
    const error = await potRejection(pot.stop(POT));
    expect(error.kind).toBe("timed-out");
    expect(error.message).toContain("timed out");
  });

  test("a spawn failure is failed, with the cause kept", async () => {
    const cause = new Error("ENOENT");
    const { pot } = cli(new Error("failed to spawn /usr/local/bin/pot", { cause }));
    const error = await potRejection(pot.version());
    expect(error.kind).toBe("failed");
    expect(error.exitCode).toBeNull();
    expect(error.cause).toBeInstanceOf(Error);
  });

  test("unparseable output is failed", async () => {
    const { pot } = cli({ stdout: "garbage\n" });
    const error = await potRejection(pot.lastRunStats(POT));
    expect(error.kind).toBe("failed");
    expect(error.message).toContain("failed to parse pot last-run-stats output");
  });

  test("stop of an unknown pot (exit 0 with an error line) is not-found", async () => {
    const { pot } = cli({ stdout: fixture("stop-unknown.txt") });
    expect(await pot.stop(POT)).toBe("not-found");
  });

  test("stop of a never-started pot is locked", async () => {
    const { pot } = cli({ exitCode: 1, stdout: `###>  pot ${POT} is not in a state where it can be stopped\n` });
    expect((await potRejection(pot.stop(POT))).kind).toBe("locked");
  });

  test("destroy of a missing pot is not-found, of a running one without -F is locked", async () => {
    expect(
      await cli({
        exitCode: 1,
        stdout: `###>  Pot ${POT} not found\n###>  pot ${POT} not found or corrupted. Try to use the -F flag\n`,
      }).pot.destroy(POT),
    ).toBe("not-found");
    expect(
      (await potRejection(cli({ exitCode: 1, stdout: `===>  Destroying pot ${POT}\n###>  pot ${POT} is running\n` }).pot.destroy(POT)))
        .kind,
    ).toBe("locked");
    expect(await cli({ stdout: `===>  Destroying pot ${POT}\n` }).pot.destroy(POT, { force: true })).toBe("destroyed");
  });

  test("isRunning and exists map exit 0/1 to booleans and anything else to an error", async () => {
    expect(await cli({ exitCode: 0 }).pot.isRunning(POT)).toBe(true);
    expect(await cli({ exitCode: 1 }).pot.isRunning(POT)).toBe(false);
    expect(await cli({ exitCode: 1, stdout: `###>  ${POT} is not a pot\n` }).pot.exists(POT)).toBe(false);
    expect((await potRejection(cli({ exitCode: 2 }).pot.isRunning(POT))).kind).toBe("failed");
  });

  test("exec returns the command's status; pot's own refusal throws", async () => {
    const ran = await cli({ exitCode: 3, stdout: "partial\n", stderr: "oops\n" }).pot.exec(POT, ["false"]);
    expect(ran).toMatchObject({ exitCode: 3, stdout: "partial\n", stderr: "oops\n" });
    const commandSaysNotRunning = await cli({ exitCode: 1, stdout: "###>  custom script output\nbut also this\n" }).pot.exec(POT, ["x"]);
    expect(commandSaysNotRunning.exitCode).toBe(1);
    expect((await potRejection(cli({ exitCode: 1, stdout: "###>  The pot is not running\n" }).pot.exec(POT, ["x"]))).kind).toBe(
      "not-found",
    );
  });

  test("empty env and hosts sets run nothing", async () => {
    const { runner, pot } = cli({});
    await pot.setEnv(POT, {});
    await pot.setHosts(POT, []);
    expect(runner.calls).toHaveLength(0);
  });

  test("parsed results: info, list, lastRunStats", async () => {
    expect((await cli({ stdout: fixture("info-public-bridge.txt") }).pot.info(POT)).ip).toBe("10.192.0.5");
    expect(await cli({ stdout: fixture("ls-q.txt") }).pot.list()).toHaveLength(3);
    expect(await cli({ stdout: fixture("last-run-stats-sigterm.txt") }).pot.lastRunStats(POT)).toEqual({ kind: "recorded", exitCode: 143 });
    expect(await cli({ stdout: fixture("last-run-stats-empty.txt") }).pot.lastRunStats(POT)).toEqual({ kind: "empty" });
  });

  test("argv builders for the supervisor and streaming exec carry the pot path", () => {
    const { pot } = cli({});
    expect(pot.startArgv(POT)).toEqual(["/usr/local/bin/pot", "start", "-p", POT]);
    expect(pot.execArgv(POT, ["sh"], { tty: true })).toEqual(["/usr/local/bin/pot", "exec", "-p", POT, "-t", "--", "sh"]);
  });

  test("refused arguments never reach the runner", async () => {
    const { runner, pot } = cli({});
    expect((await potRejection(pot.setRss(POT, { memoryMb: 0 }))).kind).toBe("invalid-argument");
    expect(() => pot.startArgv("a.b")).toThrow(PotError);
    expect(runner.calls).toHaveLength(0);
  });
});

describe("failure messages keep the underlying tool's stderr", () => {
  test("pot's ###> line and the last stderr line both appear", async () => {
    const { pot } = cli({
      exitCode: 1,
      stdout: "###>  Error mounting /srv/data\n",
      stderr: "mount_nullfs: /srv/data: Operation not permitted\n",
    });
    const err = await potRejection(pot.mountIn(POT, { dir: "/srv/data", mountPoint: "/data" }));
    expect(err.message).toBe(
      "failed to run pot mount-in: exit status 1: Error mounting /srv/data; stderr: mount_nullfs: /srv/data: Operation not permitted",
    );
  });

  test("stderr already quoted by pot is not repeated", async () => {
    const { pot } = cli({ exitCode: 1, stdout: "###>  fetch: 404 Not Found\n", stderr: "fetch: 404 Not Found\n" });
    const err = await potRejection(pot.copyIn(POT, { source: "/a", destination: "/b" }));
    expect(err.message).toBe("failed to run pot copy-in: exit status 1: fetch: 404 Not Found");
  });
});

describe("what the pot's configuration files answer without a pot run", () => {
  const prefix = mkdtempSync(join(tmpdir(), "pot-cli-conf-"));
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));
  const fsRoot = join(prefix, "fs");
  mkdirSync(join(prefix, "bin"), { recursive: true });
  mkdirSync(join(prefix, "etc", "pot"), { recursive: true });
  mkdirSync(join(fsRoot, "jails", POT, "conf"), { recursive: true });
  writeFileSync(join(prefix, "etc", "pot", "pot.default.conf"), `POT_FS_ROOT=${fsRoot}\nPOT_TMP=/tmp\n`);
  writeFileSync(join(fsRoot, "jails", POT, "conf", "pot.conf"), "ip=10.192.0.7\n");
  const potPath = join(prefix, "bin", "pot");
  writeFileSync(potPath, "#!/bin/sh\n", { mode: 0o755 });

  test("the jail address and fs_root come from the files: nothing is run", async () => {
    const runner = new ScriptedRunner({ stdout: "" });
    const pot = new PotCli(potPath, runner, { logger: silentLogger() });
    expect(await pot.jailAddress(POT)).toBe("10.192.0.7");
    expect(await pot.fsRoot()).toBe(fsRoot);
    expect(runner.calls).toEqual([]);
  });

  test("the last run's exit status comes from conf/.last_run_stats: nothing is run", async () => {
    const stats = join(fsRoot, "jails", POT, "conf", ".last_run_stats");
    writeFileSync(stats, '{ "ExitCode": 143 }\n');
    try {
      const runner = new ScriptedRunner({ stdout: "{}\n" });
      const pot = new PotCli(potPath, runner, { logger: silentLogger() });
      expect(await pot.lastRunStats(POT)).toEqual({ kind: "recorded", exitCode: 143 });
      expect(runner.calls).toEqual([]);
    } finally {
      rmSync(stats, { force: true });
    }
  });

  test("without a well-formed .last_run_stats, pot last-run-stats answers", async () => {
    const stats = join(fsRoot, "jails", POT, "conf", ".last_run_stats");
    const missing = new ScriptedRunner({ stdout: fixture("last-run-stats-empty.txt") });
    expect(await new PotCli(potPath, missing, { logger: silentLogger() }).lastRunStats(POT)).toEqual({ kind: "empty" });
    expect(missing.calls.map((c) => c.argv.slice(1))).toEqual([["last-run-stats", "-p", POT]]);
    writeFileSync(stats, '{ "ExitCode": \n');
    try {
      const torn = new ScriptedRunner({ stdout: fixture("last-run-stats-sigterm.txt") });
      expect(await new PotCli(potPath, torn, { logger: silentLogger() }).lastRunStats(POT)).toEqual({ kind: "recorded", exitCode: 143 });
      expect(torn.calls.map((c) => c.argv[1])).toEqual(["last-run-stats"]);
    } finally {
      rmSync(stats, { force: true });
    }
  });

  test("without readable configuration files, pot info and pot config answer", async () => {
    const infoRunner = new ScriptedRunner({ stdout: fixture("info-public-bridge.txt") });
    const address = await new PotCli("/nowhere/bin/pot", infoRunner, { logger: silentLogger() }).jailAddress(POT);
    expect(infoRunner.calls.map((c) => c.argv[1])).toEqual(["info"]);
    expect(address).toBeDefined();
    const configRunner = new ScriptedRunner({ stdout: "/opt/pot\n" });
    expect(await new PotCli("/nowhere/bin/pot", configRunner, { logger: silentLogger() }).fsRoot()).toBe("/opt/pot");
    expect(configRunner.calls.map((c) => c.argv[1])).toEqual(["config"]);
  });
});
