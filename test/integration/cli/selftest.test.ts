// `pot-task-driver selftest` run as the compiled executable (the installed copy, as an operator runs it) against
// the pot simulator: every step passes and nothing is left; a simulator knob breaking a step makes that step's
// line fail with pot's message, the exit status 1, and the cleanup still leave nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportedPotConf, startSimulator, type Simulator } from "../../fakes/simulator.ts";
import { TIMEOUT_MULTIPLIER } from "../../setup.ts";
import { processes } from "../../support/host.ts";
import { ensureBinary } from "../harness.ts";

const DEADLINE_MS = 120_000 * TIMEOUT_MULTIPLIER;
const IMAGE = { name: "selftest-img", tag: "1.0" };
const STEPS = ["doctor", "start", "logs", "ports", "exec", "signal", "stats", "stop", "destroy", "leftovers"];

let sim: Simulator;
let work: string;
let installed: string;
let stateDir: string;
let agentConfig: string;
let rcConf: string;

beforeAll(async () => {
  const binary = await ensureBinary();
  sim = await startSimulator({ images: [{ ...IMAGE, potConf: exportedPotConf() }] });
  work = mkdtempSync(join(tmpdir(), "selftest-"));
  const pluginDir = join(work, "plugins");
  stateDir = join(work, "state");
  mkdirSync(pluginDir);
  mkdirSync(stateDir, { mode: 0o700 });
  installed = join(pluginDir, "pot-task-driver");
  copyFileSync(binary, installed);
  Bun.spawnSync(["chmod", "0755", installed]);
  agentConfig = join(work, "agent.hcl");
  writeFileSync(
    agentConfig,
    `plugin_dir = "${pluginDir}"\n\nplugin "pot-task-driver" {\n  config {\n    pot_path  = "${sim.potPath}"\n    state_dir = "${stateDir}"\n  }\n}\n`,
  );
  rcConf = join(work, "rc.conf");
  writeFileSync(rcConf, 'nomad_user="root"\nnomad_env="PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/sbin:/bin"\n');
}, DEADLINE_MS);

afterAll(async () => {
  await sim?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface SelftestRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Status word (pass/fail/skip) by step name, from the step lines. */
  status: Record<string, string>;
  lines: Record<string, string>;
}

async function selftest(extra: string[] = []): Promise<SelftestRun> {
  const args = [
    "selftest",
    "--agent-config",
    agentConfig,
    "--rc-conf",
    rcConf,
    "--image",
    sim.imageUrl,
    "--pot",
    IMAGE.name,
    "--tag",
    IMAGE.tag,
    ...extra,
  ];
  const proc = Bun.spawn([installed, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...sim.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), DEADLINE_MS);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const status: Record<string, string> = {};
  const lines: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const match = /^(pass|fail|skip)\s+(\S+)/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      status[match[2]] = match[1];
      lines[match[2]] = line;
    }
  }
  return { exitCode, stdout, stderr, status, lines };
}

/** Pots, bundles and processes of this test's world (the simulator root or the state dir in argv/environment). */
function residue(): { pots: string[]; bundles: string[]; processes: string[] } {
  const tasks = join(stateDir, "tasks");
  let bundles: string[] = [];
  try {
    bundles = readdirSync(tasks);
  } catch {
    bundles = [];
  }
  let pots: string[] = [];
  try {
    pots = readdirSync(join(sim.root, "jails"));
  } catch {
    pots = [];
  }
  const procs = processes()
    .filter((p) => p.pid !== process.pid && (p.args.includes(stateDir) || p.environ.includes(`POT_SIM_JAIL_ROOT=${sim.root}`)))
    .map((p) => `${p.pid} ${p.args}`);
  return { pots, bundles, processes: procs };
}

/** Polls until the world is empty (a killed process takes a moment to go); returns what is left at the deadline. */
async function residueAfterExit(): Promise<ReturnType<typeof residue>> {
  const deadline = Date.now() + 5_000 * TIMEOUT_MULTIPLIER;
  let left = residue();
  while ((left.pots.length > 0 || left.bundles.length > 0 || left.processes.length > 0) && Date.now() < deadline) {
    await Bun.sleep(50);
    left = residue();
  }
  return left;
}

describe("selftest against the simulator", () => {
  test(
    "every step passes, one line each with its time, exit 0, and nothing is left",
    async () => {
      const run = await selftest();
      expect(run.stderr).not.toContain("fail");
      expect(run.status).toEqual(Object.fromEntries(STEPS.map((step) => [step, "pass"])));
      for (const step of STEPS) expect(run.lines[step]).toMatch(/ \d+ ms {2}\S/);
      expect(run.lines.stop).toContain("exit code 7");
      expect(run.lines.ports).toContain("8080:28080");
      expect(run.stdout.trimEnd().endsWith("selftest passed")).toBe(true);
      expect(run.exitCode).toBe(0);
      expect(await residueAfterExit()).toEqual({ pots: [], bundles: [], processes: [] });
    },
    DEADLINE_MS,
  );

  test(
    "a broken step (pot signal fails) is a fail line with pot's message, exit 1, and the cleanup still leaves nothing",
    async () => {
      sim.setKnobs({ signal: { action: "fail", message: "pot selftest signal refused by knob", times: 1 } });
      try {
        const run = await selftest();
        expect(run.status.signal).toBe("fail");
        expect(run.lines.signal).toContain("failed to send SIGUSR1");
        expect(run.lines.signal).toContain("pot selftest signal refused by knob");
        expect(run.status.destroy).toBe("pass");
        expect(run.status.leftovers).toBe("pass");
        expect(run.stdout).toContain("selftest failed: ");
        expect(run.exitCode).toBe(1);
      } finally {
        sim.setKnobs(null);
      }
      expect(await residueAfterExit()).toEqual({ pots: [], bundles: [], processes: [] });
    },
    DEADLINE_MS,
  );

  test(
    "--from-pot: a failing pot export is the image step's fail line with pot's words; no task is started",
    async () => {
      const proc = Bun.spawn(
        [installed, "selftest", "--agent-config", agentConfig, "--rc-conf", rcConf, "--from-pot", "web", "--tag", "7"],
        {
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...sim.env },
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [stdout, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      const imageLine = stdout.split("\n").find((line) => line.startsWith("fail  image"));
      expect(imageLine).toContain(`export -p web -t 7 -D `);
      expect(imageLine).toContain("export is not simulated");
      expect(stdout).not.toMatch(/^pass {2}start/m);
      expect(stdout).toMatch(/^skip {2}start … stop +there is no image$/m);
      expect(stdout).toMatch(/^pass {2}destroy/m);
      expect(stdout).toMatch(/^pass {2}leftovers/m);
      expect(exitCode).toBe(1);
      expect(sim.invocations().filter((i) => i.argv[0] === "prepare" && i.argv.includes("web"))).toEqual([]);
      expect(await residueAfterExit()).toEqual({ pots: [], bundles: [], processes: [] });
    },
    DEADLINE_MS,
  );

  test("bad arguments name the option and exit 2 before touching pot", async () => {
    const before = sim.invocations().length;
    const proc = Bun.spawnSync([installed, "selftest", "--image", sim.imageUrl, "--pot", IMAGE.name], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...sim.env },
    });
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.toString()).toContain("missing --tag");
    expect(sim.invocations().length).toBe(before);
  });
});
