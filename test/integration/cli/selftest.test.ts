// `pot-task-driver selftest` run as the compiled executable (the installed copy, as an operator runs it) against
// the pot simulator: every step passes and nothing is left; a simulator knob breaking a step makes that step's
// line fail with pot's message, the exit status 1, and the cleanup still leave nothing behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { exportedPotConf, startSimulator, type Simulator } from "../../fakes/simulator.ts";
import { TIMEOUT_MULTIPLIER } from "../../setup.ts";
import { type CommandRun, runToEnd } from "../../support/command.ts";
import { installForOperator, type OperatorInstall } from "../../support/operator-install.ts";
import { processes } from "../../support/host.ts";
import { ensureBinary } from "../../support/plugin.ts";

const DEADLINE_MS = 120_000 * TIMEOUT_MULTIPLIER;
const IMAGE = { name: "selftest-img", tag: "1.0" };
const STEPS = ["doctor", "start", "logs", "ports", "exec", "signal", "stats", "stop", "destroy", "leftovers"];

let sim: Simulator;
let install: OperatorInstall;

beforeAll(async () => {
  const binary = await ensureBinary();
  sim = await startSimulator({ images: [{ ...IMAGE, potConf: exportedPotConf() }] });
  install = installForOperator(binary, sim.potPath, "selftest");
}, DEADLINE_MS);

afterAll(async () => {
  await sim?.close();
  install?.remove();
});

interface SelftestRun extends CommandRun {
  /** Status word (pass/fail/skip) by step name, from the step lines. */
  status: Record<string, string>;
  lines: Record<string, string>;
}

async function selftest(extra: string[] = []): Promise<SelftestRun> {
  const args = [
    "selftest",
    "--agent-config",
    install.agentConfig,
    "--rc-conf",
    install.rcConf,
    "--image",
    sim.imageUrl,
    "--pot",
    IMAGE.name,
    "--tag",
    IMAGE.tag,
    ...extra,
  ];
  const { exitCode, stdout, stderr } = await runToEnd([install.installed, ...args], {
    env: { HOME: process.env.HOME ?? "/root", ...sim.env },
    timeoutMs: DEADLINE_MS,
  });
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
  const tasks = join(install.stateDir, "tasks");
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
    .filter((p) => p.pid !== process.pid && (p.args.includes(install.stateDir) || p.environ.includes(`POT_SIM_JAIL_ROOT=${sim.root}`)))
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
      const { stdout, exitCode } = await runToEnd(
        [
          install.installed,
          "selftest",
          "--agent-config",
          install.agentConfig,
          "--rc-conf",
          install.rcConf,
          "--from-pot",
          "web",
          "--tag",
          "7",
        ],
        {
          env: { HOME: process.env.HOME ?? "/root", ...sim.env },
          timeoutMs: DEADLINE_MS,
        },
      );
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
    const proc = Bun.spawnSync([install.installed, "selftest", "--image", sim.imageUrl, "--pot", IMAGE.name], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...sim.env },
    });
    expect(proc.exitCode).toBe(2);
    expect(proc.stderr.toString()).toContain("missing --tag");
    expect(sim.invocations().length).toBe(before);
  });
});
