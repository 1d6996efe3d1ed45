// `pot-task-driver selftest`: proves the installed driver end to end without Nomad (cli layer). It runs the
// doctor checks, then drives the driver core (the PotDriver API the gRPC services use) through one throw-away
// task on the configured pot, prints one line per step with pass/fail and its time, removes everything it made,
// checks that, and exits 1 when any step failed.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PotDriver } from "../driver/driver.ts";
import { decodeDriverState } from "../driver/driver-state.ts";
import type { ProcessUsage } from "../driver/ports.ts";
import type { TaskSpec } from "../driver/task-spec.ts";
import type { PotCli } from "../pot/pot-cli.ts";
import { SpawnRunner } from "../pot/runner.ts";
import { probeProcess } from "../supervisor/ps.ts";
import { exitCodeFor, runChecks } from "./doctor-checks.ts";
import { DOCTOR_OPTIONS, probeThisHost } from "./doctor.ts";
import type { DoctorFlags } from "./doctor-settings.ts";
import { exportImage, type ExportedImage } from "./selftest-image.ts";
import {
  SELFTEST_COPY_TEXT,
  SELFTEST_GREETING,
  SELFTEST_JAIL_PORT,
  SELFTEST_MOUNT_TEXT,
  SELFTEST_STOP_EXIT,
  selftestDriverConfig,
  type SelftestImage,
  selftestTaskId,
} from "./selftest-task.ts";
import { commandOptions } from "./options.ts";
import { describeError } from "../log/logger.ts";

export const SELFTEST_USAGE = `usage: pot-task-driver selftest (--image URL --pot NAME --tag TAG | --from-pot POT [--tag TAG])
                                [--pot-path P] [--state-dir D] [--plugin-dir D] [--agent-config FILE|DIR …]
                                [--rc-conf FILE] [--host-port N]

Runs as root on the Nomad client. Checks the host (the doctor checks), then runs one throw-away task through
the driver on the real pot: prepare from the image, copy, mount, env, port export, start, logs, exec, signal,
stats, stop with the exact exit, destroy. Prints one line per step; removes the task's pot, bundle and
directories and checks that nothing is left. --from-pot exports the latest snapshot of a local pot into a
temporary directory and uses it as the image. Exit status: 0 when every step passed, 1 when one failed, 2 for
bad arguments.
`;

const STEP_DEADLINE_MS = 60_000;
/** Deadline of the one `ps` that looks for a supervisor left behind. */
const PS_DEADLINE_MS = 5_000;
const STOP_TIMEOUT_MS = 10_000;
const DEFAULT_HOST_PORT = 28_080;

export interface SelftestIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The driver core, wired as the plugin wires it. */
  makeDriver: () => Promise<PotDriver>;
  /** A pot command layer for `potPath` (the same one the driver uses). */
  pot: (potPath: string) => PotCli;
  version: string;
}

type StepStatus = "pass" | "fail" | "skip";

class Report {
  failures = 0;
  constructor(private readonly out: (text: string) => void) {}

  line(status: StepStatus, step: string, ms: number | undefined, detail: string): void {
    if (status === "fail") this.failures += 1;
    const time = ms === undefined ? "" : `${ms} ms`;
    this.out(`${status.padEnd(4)}  ${step.padEnd(12)} ${time.padStart(8)}  ${detail}\n`);
  }

  /** Runs one step; a thrown error is its failure line (with its causes). Returns whether it passed. */
  async step(name: string, run: () => Promise<string>): Promise<boolean> {
    const started = performance.now();
    try {
      const detail = await run();
      this.line("pass", name, Math.round(performance.now() - started), detail);
      return true;
    } catch (err) {
      this.line("fail", name, Math.round(performance.now() - started), describeError(err));
      return false;
    }
  }
}

/** Runs the selftest with the words after `selftest`; resolves with the process exit code. */
export async function selftestCommand(argv: readonly string[], io: SelftestIo): Promise<number> {
  const specs = { ...DOCTOR_OPTIONS, image: "value", pot: "value", tag: "value", "from-pot": "value", "host-port": "value" } as const;
  const parsed = commandOptions("selftest", argv, specs, SELFTEST_USAGE, io);
  if (!parsed.ok) return parsed.exitCode;
  const { values, lists } = parsed.options;
  const source = imageSource(values);
  if (typeof source === "string") {
    io.stderr(`pot-task-driver selftest: ${source}\n\n${SELFTEST_USAGE}`);
    return 2;
  }
  const hostPort = Number(values["host-port"] ?? DEFAULT_HOST_PORT);
  if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65_535) {
    io.stderr(`pot-task-driver selftest: --host-port must be a port number from 1 to 65535 (got ${JSON.stringify(values["host-port"])})\n`);
    return 2;
  }
  const doctorFlags: DoctorFlags = {
    ...(values["pot-path"] === undefined ? {} : { potPath: values["pot-path"] }),
    ...(values["state-dir"] === undefined ? {} : { stateDir: values["state-dir"] }),
    ...(values["plugin-dir"] === undefined ? {} : { pluginDir: values["plugin-dir"] }),
    ...(lists["agent-config"] === undefined ? {} : { agentConfigs: lists["agent-config"] }),
    ...(values["rc-conf"] === undefined ? {} : { rcConf: values["rc-conf"] }),
  };
  const report = new Report(io.stdout);
  io.stdout(`pot-task-driver ${io.version} selftest on ${process.platform}\n`);
  let potPath = "";
  let stateDir = "";
  const doctorOk = await report.step("doctor", async () => {
    const probe = await probeThisHost(doctorFlags, io.version);
    potPath = probe.settings.potPath.value;
    stateDir = probe.settings.stateDir.value;
    const results = runChecks(probe);
    const failed = results.filter((r) => r.status === "fail");
    const counts = (["pass", "warn", "skip"] as const).map((s) => `${results.filter((r) => r.status === s).length} ${s}`).join(", ");
    if (exitCodeFor(results) !== 0) {
      throw new Error(
        `failing checks: ${failed.map((r) => `${r.check} (${r.detail})`).join("; ")}; run pot-task-driver doctor for the fixes`,
      );
    }
    return `${counts}; pot_path ${potPath}, state_dir ${stateDir}`;
  });
  if (!doctorOk) {
    report.line("skip", "task", undefined, "the host checks failed; no task was started");
    io.stdout("selftest failed: 1 step failed\n");
    return 1;
  }
  await runTask(report, io, { potPath, stateDir, source, hostPort });
  io.stdout(
    report.failures === 0 ? "selftest passed\n" : `selftest failed: ${report.failures} step${report.failures === 1 ? "" : "s"} failed\n`,
  );
  return report.failures === 0 ? 0 : 1;
}

type ImageSource = { kind: "url"; image: SelftestImage } | { kind: "pot"; pot: string; tag: string };

function imageSource(values: Record<string, string>): ImageSource | string {
  const fromPot = values["from-pot"];
  if (fromPot !== undefined) {
    if (values.image !== undefined || values.pot !== undefined) return "--from-pot cannot be combined with --image or --pot";
    return { kind: "pot", pot: fromPot, tag: values.tag ?? "selftest" };
  }
  const missing = ["image", "pot", "tag"].filter((name) => values[name] === undefined);
  if (missing.length > 0) return `give --image, --pot and --tag (missing ${missing.map((m) => `--${m}`).join(", ")}), or --from-pot`;
  return { kind: "url", image: { url: values.image as string, name: values.pot as string, tag: values.tag as string } };
}

interface TaskPlan {
  potPath: string;
  stateDir: string;
  source: ImageSource;
  hostPort: number;
}

/** Every step after the doctor: a failed step skips the ones that need it; cleanup and the leftover check always run. */
async function runTask(report: Report, io: SelftestIo, plan: TaskPlan): Promise<void> {
  const pot = io.pot(plan.potPath);
  const potsBefore = new Set(await pot.list().catch(() => []));
  const work = await mkdtemp(join(tmpdir(), "pot-selftest-"));
  const allocId = crypto.randomUUID();
  const invocation = crypto.randomUUID().slice(0, 8);
  const taskId = selftestTaskId(allocId, invocation);
  const allocDir = join(work, "alloc", allocId);
  const taskDir = join(allocDir, "selftest");
  const readers: Array<{ kill: () => void; exited: Promise<number> }> = [];
  let exported: ExportedImage | undefined;
  let potName = "";
  let bundleDir = "";
  let supervisorPid = 0;
  const driver = await io.makeDriver();
  // The plugin config the agent would send: this host's pot and state directory, nothing else allowed.
  driver.setConfig(
    { enabled: true, pot_path: plan.potPath, state_dir: plan.stateDir, allowed_host_paths: [], log_level: "error" },
    { mhzPerCore: 0 },
  );
  let stdout = () => "";
  let startAttempted = false;

  const image = await (async (): Promise<SelftestImage | undefined> => {
    if (plan.source.kind === "url") return plan.source.image;
    const { pot: fromPot, tag } = plan.source;
    let made: SelftestImage | undefined;
    await report.step("image", async () => {
      exported = await exportImage(new SpawnRunner(), plan.potPath, fromPot, tag);
      made = exported;
      return `exported ${fromPot} as ${exported.name}_${tag}.xz into ${exported.dir}`;
    });
    return made;
  })();

  const started =
    image !== undefined &&
    (await report.step("start", async () => {
      startAttempted = true;
      for (const dir of [join(taskDir, "local", "mount"), join(taskDir, "secrets"), join(allocDir, "alloc", "logs")]) {
        await mkdir(dir, { recursive: true });
      }
      await writeFile(join(taskDir, "local", "copy.txt"), `${SELFTEST_COPY_TEXT}\n`);
      await writeFile(join(taskDir, "local", "mount", "host.txt"), `${SELFTEST_MOUNT_TEXT}\n`);
      const stdoutPath = join(allocDir, "alloc", "logs", ".selftest.stdout.fifo");
      const stderrPath = join(allocDir, "alloc", "logs", ".selftest.stderr.fifo");
      for (const fifo of [stdoutPath, stderrPath]) {
        const made = Bun.spawnSync(["mkfifo", "-m", "0600", fifo]);
        if (made.exitCode !== 0) throw new Error(`mkfifo ${fifo} failed: ${made.stderr.toString().trim()}`);
      }
      stdout = collect(stdoutPath, readers);
      collect(stderrPath, readers);
      const spec = taskSpec(taskId, allocId, allocDir, stdoutPath, stderrPath, plan.hostPort);
      const result = await driver.startTask(spec, selftestDriverConfig(image, taskDir));
      const state = decodeDriverState(result.driverState, result.handleVersion);
      if (!state.ok) throw new Error(`the driver returned an unreadable task state: ${state.reason}`);
      ({ potName, bundleDir, supervisorPid } = state.state);
      return `pot ${potName}, supervisor pid ${supervisorPid}`;
    }));

  if (started) {
    await report.step("logs", async () => {
      const wanted = [`greeting: ${SELFTEST_GREETING}`, `copy: ${SELFTEST_COPY_TEXT}`, `mount: ${SELFTEST_MOUNT_TEXT}`];
      await until(
        () => wanted.every((line) => stdout().includes(line)),
        () => `the task's stdout lacks ${JSON.stringify(wanted.filter((l) => !stdout().includes(l)))}; it has ${JSON.stringify(stdout())}`,
      );
      return "env, copied file and mounted file reached the task's stdout";
    });
    await report.step("ports", async () => {
      const ports = (await pot.info(potName, { verbose: true })).exportedPorts ?? [];
      const expected = `${SELFTEST_JAIL_PORT}:${plan.hostPort}`;
      if (!ports.includes(expected)) throw new Error(`pot info shows exported ports ${JSON.stringify(ports)}, not ${expected}`);
      return `pot exports ${expected} (jail:host)`;
    });
    await report.step("exec", async () => {
      const result = await driver.execTask(taskId, ["/bin/sh", "-c", 'echo "exec sees $SELFTEST_GREETING"; exit 3'], STEP_DEADLINE_MS);
      const text = new TextDecoder().decode(result.stdout);
      if (result.exitCode !== 3 || !text.includes(`exec sees ${SELFTEST_GREETING}`)) {
        throw new Error(
          `exec returned exit ${result.exitCode} with stdout ${JSON.stringify(text)}; expected exit 3 and "exec sees ${SELFTEST_GREETING}"`,
        );
      }
      return "exit status 3 and the task's environment came back";
    });
    await report.step("signal", async () => {
      await driver.signalTask(taskId, "SIGUSR1");
      await until(
        () => stdout().includes("got USR1"),
        () => "the task did not report SIGUSR1 on its stdout",
      );
      return "SIGUSR1 reached the task";
    });
    await report.step("stats", async () => {
      const usage = await firstSample(driver, taskId);
      return `RSS ${(usage.rssBytes / 1024 / 1024).toFixed(1)} MiB, CPU ${usage.cpuPercent.toFixed(1)} %`;
    });
    await report.step("stop", async () => {
      await driver.stopTask(taskId, STOP_TIMEOUT_MS, "SIGTERM");
      const outcome = await driver.waitTask(taskId);
      if (outcome.kind !== "exited") throw new Error(`the exit is unknown: ${outcome.reason}`);
      if (outcome.exitCode !== SELFTEST_STOP_EXIT || outcome.signal !== 0) {
        throw new Error(`exit code ${outcome.exitCode}, signal ${outcome.signal}; the task's TERM trap exits ${SELFTEST_STOP_EXIT}`);
      }
      return `exit code ${SELFTEST_STOP_EXIT}, as the task's TERM trap set it`;
    });
  } else {
    report.line(
      "skip",
      image === undefined ? "start … stop" : "logs … stop",
      undefined,
      image === undefined ? "there is no image" : "the task did not start",
    );
  }

  // Cleanup runs whatever happened above: a forced destroy of the task (idempotent), the image pot that pot's
  // prepare imported for this run (pot keeps imports for later prepares), then our own files.
  const imagePot = image === undefined ? undefined : `${image.name}_${image.tag}`.replaceAll(".", "_");
  await report.step("destroy", async () => {
    // A start that failed part-way has destroyed its pot itself; the forced destroy is then a no-op check.
    if (startAttempted) await driver.destroyTask(taskId, true);
    const removed = potName === "" ? [] : [`pot ${potName} and its bundle`];
    if (imagePot !== undefined && !potsBefore.has(imagePot) && (await pot.exists(imagePot))) {
      await pot.destroy(imagePot, { force: true });
      removed.push(`imported image pot ${imagePot}`);
    }
    return removed.length === 0 ? "nothing was created" : `removed ${removed.join(", ")}`;
  });
  for (const reader of readers) reader.kill();
  await Promise.all(readers.map((r) => r.exited));
  await rm(work, { recursive: true, force: true });
  if (exported) await exported.remove();
  await report.step("leftovers", async () => {
    const left: string[] = [];
    for (const name of await pot.list()) if (!potsBefore.has(name)) left.push(`pot ${name}`);
    if (bundleDir !== "" && existsSync(bundleDir)) left.push(`bundle ${bundleDir}`);
    if (supervisorPid > 0 && (await probeProcess(supervisorPid, PS_DEADLINE_MS)).state === "live") {
      left.push(`supervisor pid ${supervisorPid}`);
    }
    if (existsSync(work)) left.push(`directory ${work}`);
    if (exported && existsSync(exported.dir)) left.push(`directory ${exported.dir}`);
    if (left.length > 0) throw new Error(`left behind: ${left.join(", ")}`);
    return "no pot, bundle, supervisor or directory of this run is left";
  });
}

function taskSpec(taskId: string, allocId: string, allocDir: string, stdoutPath: string, stderrPath: string, hostPort: number): TaskSpec {
  return {
    taskId,
    taskName: "selftest",
    allocId,
    env: {
      NOMAD_TASK_DIR: "/local",
      NOMAD_SECRETS_DIR: "/secrets",
      NOMAD_ALLOC_DIR: "/alloc",
      NOMAD_ALLOC_ID: allocId,
      NOMAD_TASK_NAME: "selftest",
      SELFTEST_GREETING,
    },
    allocDir,
    stdoutPath,
    stderrPath,
    user: "",
    resources: {
      memoryMb: 64,
      memoryMaxMb: 0,
      cpusetCpus: "",
      percentTicks: 0.01,
      ports: [{ label: "http", hostPort, to: 0 }],
    },
    mounts: [],
  };
}

/** Reads a log FIFO as Nomad's logmon would, with cat(1); returns the text read so far. */
function collect(path: string, readers: Array<{ kill: () => void; exited: Promise<number> }>): () => string {
  const proc = Bun.spawn(["cat", path], { stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  readers.push({ kill: () => proc.kill("SIGKILL"), exited: proc.exited });
  let text = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  return () => text;
}

async function until(condition: () => boolean, failure: () => string): Promise<void> {
  const deadline = Date.now() + STEP_DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${failure()} (after ${STEP_DEADLINE_MS / 1000} s)`);
    await Bun.sleep(50);
  }
}

function firstSample(driver: PotDriver, taskId: string): Promise<ProcessUsage> {
  return new Promise((resolve, reject) => {
    let stop: () => void = () => {};
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no usage sample within ${STEP_DEADLINE_MS / 1000} s`));
    }, STEP_DEADLINE_MS);
    stop = driver.taskStats(taskId, 1_000, (usage) => {
      if (usage === undefined || usage.rssBytes <= 0) return;
      clearTimeout(timer);
      queueMicrotask(() => stop());
      resolve(usage);
    });
  });
}
