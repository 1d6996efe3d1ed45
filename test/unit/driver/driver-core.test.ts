// The driver core with a scripted pot (a fake CommandRunner) and a fake supervision: start ordering and
// cleanup, stop/destroy/recover decisions, and explicit unknown exits. No processes are spawned.
import { afterAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PotDriver } from "../../../src/driver/driver.ts";
import { DriverError } from "../../../src/driver/errors.ts";
import type {
  ExecSession,
  ExecSessionIo,
  ExecSessions,
  LaunchRequest,
  SupervisedTask,
  Supervision,
  UsageSampler,
} from "../../../src/driver/ports.ts";
import type { PotStartExit } from "../../../src/driver/task-exit.ts";
import type { TaskSpec } from "../../../src/driver/task-spec.ts";
import { isRecoverable, statusCode } from "../../../src/plugin/status.ts";
import { taskSpec } from "../../support/task-spec.ts";
import { PotCli } from "../../../src/pot/pot-cli.ts";
import type { CommandResult, CommandRunner, RunOptions } from "../../../src/pot/runner.ts";
import { SupervisorError } from "../../../src/supervisor/errors.ts";

type Responder = (argv: readonly string[]) => Partial<CommandResult> | undefined;

class ScriptedRunner implements CommandRunner {
  readonly calls: string[][] = [];
  readonly options: (RunOptions | undefined)[] = [];
  constructor(private readonly respond: Responder) {}
  async run(argv: readonly string[], options?: RunOptions): Promise<CommandResult> {
    this.calls.push([...argv]);
    this.options.push(options);
    const r = this.respond(argv) ?? {};
    return { argv, exitCode: 0, signal: null, stdout: "", stderr: "", durationMs: 1, timedOut: false, aborted: false, ...r };
  }
  /** Verbs run, leaving out the readiness probes (`pot signal -C`) StartTask makes when it cannot read pot's files. */
  verbs(): string[] {
    return this.calls.filter((c) => !isProbe(c)).map((c) => c[1] ?? "");
  }
  probes(): string[][] {
    return this.calls.filter(isProbe);
  }
}

function isProbe(argv: readonly string[]): boolean {
  return argv[1] === "signal" && argv.includes("-C");
}

class FakeSupervision implements Supervision {
  launched: LaunchRequest[] = [];
  removed: string[] = [];
  killed: number[] = [];
  onKill: (() => void) | undefined;
  bundles = new Set<string>();
  finish: ((record: PotStartExit) => void) | undefined;
  attachRecord: PotStartExit | undefined;
  attachError: Error | undefined;
  async launch(request: LaunchRequest): Promise<SupervisedTask> {
    this.launched.push(request);
    const bundleDir = this.bundleDirFor(request.stateDir, request.taskId);
    this.bundles.add(bundleDir);
    const exited = new Promise<PotStartExit>((resolve) => {
      this.finish = resolve;
    });
    return {
      pid: 4242,
      bundleDir,
      exited,
      kill: () => {
        this.killed.push(4242);
        this.onKill?.();
      },
    };
  }
  async attach(bundleDir: string, pid: number): Promise<SupervisedTask> {
    if (this.attachError) throw this.attachError;
    const exited = this.attachRecord
      ? Promise.resolve(this.attachRecord)
      : new Promise<PotStartExit>((resolve) => {
          this.finish = resolve;
        });
    return { pid, bundleDir, exited, kill: () => this.killed.push(pid) };
  }
  async bundleExists(bundleDir: string): Promise<boolean> {
    return this.bundles.has(bundleDir);
  }
  bundleDirFor(stateDir: string, taskId: string): string {
    return `${stateDir}/tasks/${taskId.replaceAll("/", "_")}`;
  }
  async remove(bundleDir: string): Promise<void> {
    this.removed.push(bundleDir);
    this.bundles.delete(bundleDir);
  }
}

const noSampler: UsageSampler = { subscribe: () => () => {} };

/** Records each interactive exec it is asked to start and hands back a session that records what it is told. */
class FakeExecSessions implements ExecSessions {
  started: { argv: readonly string[]; options: ExecSessionIo & { env: Readonly<Record<string, string>> } }[] = [];
  written: string[] = [];
  start(argv: readonly string[], options: ExecSessionIo & { env: Readonly<Record<string, string>> }): ExecSession {
    this.started.push({ argv, options });
    return {
      write: (data) => this.written.push(new TextDecoder().decode(data)),
      closeStdin: () => {},
      resize: () => {},
      kill: () => {},
      exited: Promise.resolve({ exitCode: 0, signal: 0 }),
    };
  }
}

const TASK_ID = "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11/web/a1b2c3d4";
const POT = "web_a1b2c3d4_5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11";

function task(): TaskSpec {
  return taskSpec({
    env: { FOO: "bar" },
    allocDir: "/nomad/alloc/5b0c",
    resources: { memoryMb: 64, memoryMaxMb: 0, cpusetCpus: "", percentTicks: 0, ports: [] },
  });
}

const HOST_DIR = mkdtempSync(join(tmpdir(), "driver-core-"));
writeFileSync(join(HOST_DIR, "in.txt"), "x");
const OUTSIDE_DIR = mkdtempSync(join(tmpdir(), "driver-core-outside-"));
writeFileSync(join(OUTSIDE_DIR, "secret.txt"), "x");
symlinkSync(join(OUTSIDE_DIR, "secret.txt"), join(HOST_DIR, "link.txt"));
afterAll(() => {
  for (const dir of [HOST_DIR, OUTSIDE_DIR]) rmSync(dir, { recursive: true, force: true });
});

const CONFIG = {
  image: "http://127.0.0.1:8080/",
  pot: "img",
  tag: "1.0",
  command: "/bin/app",
  args: null,
  network_mode: "host",
  port_map: null,
  copy: [`${HOST_DIR}/in.txt:/etc/in.txt`],
  mount: null,
  mount_read_only: null,
  extra_hosts: null,
  attributes: null,
};

const PREPARED = `===>  Prepared the pot ${POT}\n`;

function setup(respond: Responder, stopGraceMs?: number, onStarted?: () => void) {
  const runner = new ScriptedRunner(respond);
  const supervision = new FakeSupervision();
  const execSessions = new FakeExecSessions();
  const driver = new PotDriver({
    pot: (potPath, env) => new PotCli(potPath, runner, { env }),
    supervision,
    sampler: noSampler,
    execSessions,
    hostCpus: 4,
    mhzPerCore: 2000,
    ...(stopGraceMs === undefined ? {} : { stopGraceMs }),
    ...(onStarted === undefined ? {} : { onStarted }),
  });
  driver.setConfig({ allowed_host_paths: [HOST_DIR] }, { mhzPerCore: 0 });
  return { runner, supervision, driver, execSessions };
}

const okPrepare: Responder = (argv) => (argv[1] === "prepare" ? { stdout: PREPARED } : undefined);

describe("startTask", () => {
  test("a bad config runs no pot command at all and names every bad field", async () => {
    const { runner, supervision, driver } = setup(okPrepare);
    const err = await driver.startTask(task(), { ...CONFIG, image: "ftp://x/", copy: ["relative:/x"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).kind).toBe("invalid-config");
    expect(isRecoverable(err)).toBe(false);
    expect((err as Error).message).toContain("config.image");
    expect((err as Error).message).toContain("config.copy[0]");
    expect(runner.calls).toEqual([]);
    expect(supervision.launched).toEqual([]);
  });

  test("onStarted is told of each task started, never of a start that failed", async () => {
    let started = 0;
    const { driver } = setup(okPrepare, undefined, () => {
      started += 1;
    });
    await driver.startTask(task(), { ...CONFIG, image: "ftp://x/" }).catch(() => undefined);
    expect(started).toBe(0);
    await driver.startTask(task(), CONFIG);
    expect(started).toBe(1);
  });

  test("runs prepare, copy-in, mount-in ×4, set-env, set-rss, then launches pot start", async () => {
    const { runner, supervision, driver } = setup(okPrepare);
    const started = await driver.startTask(task(), CONFIG);
    expect(runner.verbs()).toEqual(["prepare", "copy-in", "mount-in", "mount-in", "mount-in", "mount-in", "set-env", "set-rss"]);
    // Without pot's state files (no pot at /usr/local/bin/pot here), readiness is asked of pot: main pid known.
    expect(runner.probes()).toEqual([["/usr/local/bin/pot", "signal", "-s", "TERM", "-C", "-p", POT]]);
    expect(supervision.launched[0]?.argv).toEqual(["/usr/local/bin/pot", "start", "-p", POT]);
    expect(started.handleVersion).toBe(1);
    expect(JSON.parse(new TextDecoder().decode(started.driverState)).potName).toBe(POT);
  });

  test("the supervisor (and so pot start and the task) gets PATH from the config and nothing of the plugin's environment", async () => {
    process.env.DRIVER_CORE_CANARY = "leak";
    try {
      const { runner, supervision, driver } = setup(okPrepare);
      driver.setConfig({ allowed_host_paths: [HOST_DIR], path: "/opt/pot/bin:/usr/bin:/bin" }, { mhzPerCore: 0 });
      await driver.startTask(task(), CONFIG);
      expect(supervision.launched[0]?.env).toEqual({ PATH: "/opt/pot/bin:/usr/bin:/bin" });
      expect(supervision.launched[0]?.trustedRoot).toBe(task().allocDir);
      expect(runner.options.length).toBeGreaterThan(3);
      expect(
        runner.options.every((o) => JSON.stringify(o?.env) === JSON.stringify({ PATH: "/opt/pot/bin:/usr/bin:/bin", LC_ALL: "C" })),
      ).toBe(true);
    } finally {
      delete process.env.DRIVER_CORE_CANARY;
    }
  });

  test("a supervisor that refused a log path is a task event with the reason", async () => {
    const { supervision, driver } = setup(okPrepare);
    const seen: string[] = [];
    driver.events.subscribe((event) => seen.push(event.message));
    await driver.startTask(task(), CONFIG);
    supervision.finish?.({ kind: "failed", reason: "supervisor refused stdout destination /x: it is a symlink" });
    await driver.waitTask(TASK_ID);
    expect(seen).toContain("Task not started: supervisor refused stdout destination /x: it is a symlink");
  });

  test("a failure after the pot exists destroys it and reports pot's message", async () => {
    const { runner, driver, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "copy-in") return { exitCode: 1, stdout: `###>  ${HOST_DIR}/in.txt not valid\n` };
      return undefined;
    });
    const err = await driver.startTask(task(), CONFIG).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`${HOST_DIR}/in.txt not valid`);
    expect(runner.calls.at(-1)).toEqual(["/usr/local/bin/pot", "destroy", "-F", "-p", POT]);
    expect(supervision.launched).toEqual([]);
  });

  test("copy and mount sources outside the task dirs and the allowlist are refused before any pot command", async () => {
    const { runner, driver } = setup(okPrepare);
    const err = await driver
      .startTask(task(), {
        ...CONFIG,
        copy: [`${HOST_DIR}/link.txt:/etc/a`, "/etc/passwd:/etc/b", `${HOST_DIR}/missing:/etc/c`],
        mount: [`${OUTSIDE_DIR}:/data`],
        mount_read_only: [`${HOST_DIR}:/ro`],
      })
      .catch((e: unknown) => e);
    expect((err as DriverError).kind).toBe("invalid-config");
    const message = (err as Error).message;
    expect(message).toContain(`config.copy[0]: host path ${HOST_DIR}/link.txt (resolves to ${OUTSIDE_DIR}/secret.txt) is outside`);
    expect(message).toContain("config.copy[1]: host path /etc/passwd is outside");
    expect(message).toContain(`config.copy[2]: host path ${HOST_DIR}/missing does not exist`);
    expect(message).toContain("config.mount[0]");
    expect(message).not.toContain("config.mount_read_only");
    expect(runner.calls).toEqual([]);
  });

  test("starting the same task id twice is an error", async () => {
    const { driver } = setup(okPrepare);
    await driver.startTask(task(), CONFIG);
    const err = await driver.startTask(task(), CONFIG).catch((e: unknown) => e);
    expect((err as DriverError).kind).toBe("already-exists");
  });
});

describe("wait, stop and destroy", () => {
  test("the exit code comes from last-run-stats, signal deaths as 128+N", async () => {
    const { driver, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 143 }\n' };
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    supervision.finish?.({ kind: "exited", exitCode: 125, signal: 0 });
    expect(await driver.waitTask(TASK_ID)).toEqual({ kind: "exited", exitCode: 143, signal: 15, oomKilled: false });
  });

  test("no recorded exit is an explicit unknown, never 0", async () => {
    const { driver, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: "{}\n" };
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    supervision.finish?.({ kind: "unknown", reason: "supervisor vanished" });
    const outcome = await driver.waitTask(TASK_ID);
    expect(outcome.kind).toBe("unknown");
  });

  test("stop sends the kill signal first, and pot stop only after the timeout", async () => {
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 143 }\n' };
      if (argv[1] === "stop") {
        queueMicrotask(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }));
      }
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    await driver.stopTask(TASK_ID, 50, "SIGINT");
    const verbs = runner.verbs();
    expect(verbs.slice(verbs.indexOf("signal"))).toEqual(["signal", "stop", "last-run-stats"]);
    expect(runner.calls.find((c) => c[1] === "signal" && !isProbe(c))).toContain("SIGINT");
  });

  test("a stop that finds pot already stopping the pot succeeds once pot start has ended", async () => {
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 0 }\n' };
      if (argv[1] === "stop") {
        setTimeout(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }), 30);
        return { exitCode: 1, stdout: `###>  pot ${POT} is already stopping!\n` };
      }
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    await driver.stopTask(TASK_ID, 0, "SIGTERM");
    expect(await driver.waitTask(TASK_ID)).toMatchObject({ kind: "exited", exitCode: 0 });
    expect(runner.verbs().filter((v) => v === "stop")).toHaveLength(1);
  });

  test("pot stop and destroy -F get deadlines derived from the pot's stop_timeout", async () => {
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 137 }\n' };
      if (argv[1] === "stop") queueMicrotask(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }));
      return undefined;
    });
    const started = await driver.startTask(task(), { ...CONFIG, attributes: ["stop_timeout:200"] });
    expect(JSON.parse(new TextDecoder().decode(started.driverState)).stopTimeoutS).toBe(200);
    await driver.stopTask(TASK_ID, 0, "SIGTERM");
    await driver.destroyTask(TASK_ID, true);
    const deadline = (verb: string) => runner.options[runner.calls.findIndex((c) => c[1] === verb)]?.timeoutMs;
    expect(deadline("stop")).toBe(230_000);
    expect(deadline("destroy")).toBe(320_000);
  });

  test("a signal that meets a pot still starting waits for pot to record the main pid, then is sent", async () => {
    let probes = 0;
    let signals = 0;
    const { driver, runner } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "signal" && argv.includes("-C")) return { exitCode: ++probes === 1 || probes === 3 ? 0 : 1 };
      if (argv[1] === "signal") return ++signals === 1 ? { exitCode: 1, stdout: "###>  Sending signal failed\n" } : undefined;
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    await driver.signalTask(TASK_ID, "SIGHUP");
    expect(runner.calls.filter((c) => c[1] === "signal" && !isProbe(c))).toHaveLength(2);
    expect(probes).toBe(3);
  });

  test("a stop that meets a pot still starting waits for pot to mark it started, then stops it", async () => {
    let probes = 0;
    let stops = 0;
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 143 }\n' };
      if (argv[1] === "signal" && argv.includes("-C")) return { exitCode: ++probes === 1 || probes >= 4 ? 0 : 1 };
      if (argv[1] === "stop") {
        if (++stops === 1) return { exitCode: 1, stdout: `###>  pot ${POT} is not in a state where it can be stopped\n` };
        queueMicrotask(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }));
      }
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    await driver.stopTask(TASK_ID, 0, "SIGTERM");
    expect(runner.verbs().filter((v) => v === "stop")).toHaveLength(2);
    expect(probes).toBe(4);
    expect((await driver.waitTask(TASK_ID)).kind).toBe("exited");
  });

  test("a task that survives pot stop has its supervisor killed, and its exit is then unknown", async () => {
    const { driver, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: "{}\n" };
      return undefined;
    }, 50);
    supervision.onKill = () => supervision.finish?.({ kind: "unknown", reason: "supervisor killed" });
    await driver.startTask(task(), CONFIG);
    await driver.stopTask(TASK_ID, 10, "SIGTERM");
    expect(supervision.killed).toEqual([4242]);
    expect((await driver.waitTask(TASK_ID)).kind).toBe("unknown");
  });

  test("stop with no signal named sends SIGTERM; an unknown signal is an error", async () => {
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "signal") queueMicrotask(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }));
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 0 }\n' };
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    const bad = await driver.stopTask(TASK_ID, 10, "SIGNOPE").catch((e: unknown) => e);
    expect((bad as DriverError).kind).toBe("invalid-argument");
    await driver.stopTask(TASK_ID, 5_000, "");
    expect(runner.calls.find((c) => c[1] === "signal" && !isProbe(c))).toContain("SIGTERM");
    expect(runner.verbs()).not.toContain("stop");
    // Stopping an exited task again is a no-op.
    await driver.stopTask(TASK_ID, 10, "");
  });

  test("destroy refuses a running task without force, cleans up with it, and is idempotent", async () => {
    const { driver, runner, supervision } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "signal" || argv[1] === "stop") {
        queueMicrotask(() => supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 }));
      }
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 143 }\n' };
      if (argv[1] === "destroy" && runner.verbs().filter((v) => v === "destroy").length > 1) {
        return { exitCode: 1, stdout: `###>  Pot ${POT} not found\n###>  pot ${POT} not found or corrupted. Try to use the -F flag\n` };
      }
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    const refused = await driver.destroyTask(TASK_ID, false).catch((e: unknown) => e);
    expect((refused as DriverError).kind).toBe("failed-precondition");
    await driver.destroyTask(TASK_ID, true);
    expect(runner.calls.filter((c) => c[1] === "destroy")).toEqual([["/usr/local/bin/pot", "destroy", "-F", "-p", POT]]);
    expect(supervision.removed.length).toBe(1);
    await driver.destroyTask(TASK_ID, true);
    expect(() => driver.inspectTask(TASK_ID)).toThrow(DriverError);
  });
});

describe("interactive exec", () => {
  const io = (tty: boolean): ExecSessionIo => ({ tty, rows: 30, cols: 100, onStdout: () => {}, onStderr: () => {} });

  test("starts one session through the port: pot exec in the task's pot with its environment, pot's own environment", async () => {
    const { driver, execSessions } = setup(okPrepare);
    driver.setConfig({ allowed_host_paths: [HOST_DIR], path: "/opt/pot/bin:/usr/bin:/bin" }, { mhzPerCore: 0 });
    await driver.startTask(task(), CONFIG);
    const given = io(true);
    const session = driver.startExecSession(TASK_ID, ["/bin/sh", "-l"], given);
    expect(execSessions.started).toHaveLength(1);
    const [started] = execSessions.started;
    expect(started?.argv).toEqual(["/usr/local/bin/pot", "exec", "-p", POT, "-t", "-e", "FOO=bar", "--", "/bin/sh", "-l"]);
    expect(started?.options.env).toEqual({ PATH: "/opt/pot/bin:/usr/bin:/bin", LC_ALL: "C" });
    expect(started?.options).toMatchObject({ tty: true, rows: 30, cols: 100, onStdout: given.onStdout, onStderr: given.onStderr });
    // The caller talks to the session the port started.
    session.write(new TextEncoder().encode("ls\n"));
    expect(execSessions.written).toEqual(["ls\n"]);
    expect(await session.exited).toEqual({ exitCode: 0, signal: 0 });
  });

  test("an unknown task, an empty command or a command pot cannot pass start nothing", async () => {
    const { driver, execSessions } = setup(okPrepare);
    expect(() => driver.startExecSession("no/such/task", ["/bin/sh"], io(false))).toThrow(DriverError);
    await driver.startTask(task(), CONFIG);
    const kindOf = (command: string[]): string | undefined => {
      try {
        driver.startExecSession(TASK_ID, command, io(false));
        return undefined;
      } catch (err) {
        return (err as DriverError).kind;
      }
    };
    expect(kindOf([])).toBe("invalid-argument");
    expect(kindOf(["A=1"])).toBe("invalid-argument");
    expect(execSessions.started).toEqual([]);
  });

  test("a task that has exited starts no session", async () => {
    const { driver, supervision, execSessions } = setup((argv) => {
      if (argv[1] === "prepare") return { stdout: PREPARED };
      if (argv[1] === "last-run-stats") return { stdout: '{ "ExitCode": 0 }\n' };
      return undefined;
    });
    await driver.startTask(task(), CONFIG);
    supervision.finish?.({ kind: "exited", exitCode: 0, signal: 0 });
    await driver.waitTask(TASK_ID);
    expect(() => driver.startExecSession(TASK_ID, ["/bin/sh"], io(false))).toThrow("has exited");
    expect(execSessions.started).toEqual([]);
  });
});

describe("recoverTask", () => {
  async function startedState(): Promise<{ state: Uint8Array; bundleDir: string }> {
    const { driver, supervision } = setup(okPrepare);
    const started = await driver.startTask(task(), CONFIG);
    return { state: started.driverState, bundleDir: [...supervision.bundles][0] ?? "" };
  }

  test("a running task is re-attached and its later exit reported", async () => {
    const { state, bundleDir } = await startedState();
    const { driver, supervision } = setup((argv) => (argv[1] === "last-run-stats" ? { stdout: '{ "ExitCode": 3 }\n' } : undefined));
    supervision.bundles.add(bundleDir);
    await driver.recoverTask(task(), 1, state);
    await driver.recoverTask(task(), 1, state);
    expect(driver.inspectTask(TASK_ID).state).toBe("running");
    supervision.finish?.({ kind: "exited", exitCode: 125, signal: 0 });
    expect(await driver.waitTask(TASK_ID)).toEqual({ kind: "exited", exitCode: 3, signal: 0, oomKilled: false });
  });

  test("a task that vanished (pot gone) is an error so Nomad restarts it", async () => {
    const { state, bundleDir } = await startedState();
    const { driver, supervision } = setup((argv) => (argv[1] === "info" ? { exitCode: 1, stdout: "" } : undefined));
    supervision.bundles.add(bundleDir);
    const err = await driver.recoverTask(task(), 1, state).catch((e: unknown) => e);
    expect((err as DriverError).kind).toBe("not-found");
    expect((err as Error).message).toContain(POT);
  });

  test("a bundle the supervisor layer cannot read is a corrupt-task error naming the task and the problem", async () => {
    const { state, bundleDir } = await startedState();
    const { driver, supervision } = setup(() => undefined);
    supervision.bundles.add(bundleDir);
    supervision.attachError = new SupervisorError("corrupt", `failed to read bundle ${bundleDir}: spec.json is not JSON`, { bundleDir });
    const err = await driver.recoverTask(task(), 1, state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).kind).toBe("corrupt");
    expect((err as Error).message).toBe(`failed to recover task ${TASK_ID}: failed to read bundle ${bundleDir}: spec.json is not JSON`);
    expect((err as Error).cause).toBe(supervision.attachError);
    expect(statusCode(err)).toBe(grpc.status.DATA_LOSS);
    expect(() => driver.inspectTask(TASK_ID)).toThrow(DriverError);
  });

  test("recovery with an empty driver config works from driver_state alone", async () => {
    const { state, bundleDir } = await startedState();
    const { driver, supervision } = setup(() => undefined);
    supervision.bundles.add(bundleDir);
    await driver.recoverTask({ ...task(), taskName: "", allocId: "", env: {} }, 1, state);
    expect(driver.inspectTask(TASK_ID).taskName).toBe("web");
  });

  test("exec passes on the variables pot can carry and leaves out the rest (recovered env is not checked by a start)", async () => {
    const { state, bundleDir } = await startedState();
    const { driver, supervision, runner } = setup(() => undefined);
    supervision.bundles.add(bundleDir);
    const env = { FOO: "bar", "NOMAD_HOST_PORT_a-b": "1", TWO_LINES: "a\nb", CR: "a\rb", SPACES: "a b $x" };
    await driver.recoverTask({ ...task(), env }, 1, state);
    await driver.execTask(TASK_ID, ["true"], 0);
    const exec = runner.calls.find((argv) => argv[1] === "exec") ?? [];
    expect(exec.filter((_, i) => exec[i - 1] === "-e")).toEqual(["FOO=bar", "SPACES=a b $x"]);
  });

  test("garbage driver state is an error", async () => {
    const { driver } = setup(() => undefined);
    const err = await driver.recoverTask(task(), 1, new TextEncoder().encode("nope")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
  });
});

describe("start errors", () => {
  test("an argv too long for the kernel (E2BIG) is not retried", async () => {
    const runner: CommandRunner = {
      async run() {
        throw new Error("failed to spawn /usr/local/bin/pot", {
          cause: Object.assign(new Error("E2BIG: argument list too long"), { code: "E2BIG" }),
        });
      },
    };
    const driver = new PotDriver({
      pot: (p) => new PotCli(p, runner),
      supervision: new FakeSupervision(),
      sampler: noSampler,
      execSessions: new FakeExecSessions(),
      hostCpus: 1,
      mhzPerCore: 1000,
    });
    driver.setConfig({ allowed_host_paths: [HOST_DIR] }, { mhzPerCore: 0 });
    const err = await driver.startTask(task(), { ...CONFIG, command: "x".repeat(10) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).kind).toBe("invalid-argument");
    expect(isRecoverable(err)).toBe(false);
  });
});

describe("problems found after validation", () => {
  test("a missing port label and a disallowed host path are reported together", async () => {
    const { driver, runner } = setup(okPrepare);
    const err = await driver
      .startTask(task(), { ...CONFIG, network_mode: "public-bridge", port_map: [{ metrics: "9100" }], copy: ["/etc/passwd:/etc/x"] })
      .catch((e: unknown) => e);
    expect((err as DriverError).kind).toBe("invalid-config");
    expect((err as Error).message).toContain("config.port_map.metrics");
    expect((err as Error).message).toContain("config.copy[0]");
    expect(runner.calls).toEqual([]);
  });
});
