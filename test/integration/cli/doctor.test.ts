// `pot-task-driver doctor` run as the compiled executable against the pot simulator: real results for pot, its
// version, pot init, the plugin dir, agent config, rc.conf and the state dir; skip lines for FreeBSD-only checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../../src/version.ts";
import { installSimPot, startSimulator, type Simulator } from "../../fakes/simulator.ts";
import { TIMEOUT_MULTIPLIER } from "../../setup.ts";
import { type CommandRun, runToEnd } from "../../support/command.ts";
import { installForOperator, type OperatorInstall } from "../../support/operator-install.ts";
import { ensureBinary } from "../../support/plugin.ts";

const DEADLINE_MS = 30_000 * TIMEOUT_MULTIPLIER;

let sim: Simulator;
let binary: string;
let install: OperatorInstall;

beforeAll(async () => {
  binary = await ensureBinary();
  sim = await startSimulator();
  install = installForOperator(binary, sim.potPath, "doctor");
}, DEADLINE_MS * 4);

afterAll(async () => {
  await sim?.close();
  install?.remove();
});

interface DoctorRun extends CommandRun {
  /** STATUS by CHECK, from the table. */
  status: Record<string, string>;
  /** DETAIL (first line) by CHECK. */
  detail: Record<string, string>;
}

async function doctor(args: string[], env: Record<string, string> = sim.env, executable = binary): Promise<DoctorRun> {
  const { exitCode, stdout, stderr } = await runToEnd([executable, "doctor", ...args], { env, timeoutMs: DEADLINE_MS });
  const status: Record<string, string> = {};
  const detail: Record<string, string> = {};
  const lines = stdout.split("\n");
  const header = lines.findIndex((line) => line.startsWith("STATUS  CHECK"));
  const detailColumn = (lines[header] ?? "").indexOf("DETAIL / FIX");
  for (const line of lines.slice(header + 1)) {
    const match = /^(pass|warn|fail|skip) +/.exec(line);
    if (match === null) continue;
    const check = line.slice(match[0].length, detailColumn).trim();
    status[check] = match[1] as string;
    detail[check] = line.slice(detailColumn);
  }
  return { exitCode, stdout, stderr, status, detail };
}

describe("doctor on Linux with the simulator", () => {
  test(
    "a complete configuration: real results where Linux can know, skip where it cannot, exit 0",
    async () => {
      // Run the installed copy, as an operator would.
      const run = await doctor(["--agent-config", install.agentConfig, "--rc-conf", install.rcConf], sim.env, install.installed);
      expect(run.stderr).toBe("");
      expect(run.status).toEqual({
        user: "pass",
        pot: "pass",
        "pot version": "pass",
        "pot init": "pass",
        zfs: "skip",
        rctl: "skip",
        vimage: "skip",
        "pf anchors": "skip",
        "plugin dir": "pass",
        "agent config": "pass",
        "agent plugin_dir": "pass",
        "rc.conf nomad_user": "pass",
        "rc.conf nomad_env": "pass",
        "pot helpers": "skip",
        "state dir": "pass",
      });
      for (const check of ["zfs", "rctl", "vimage", "pf anchors"])
        expect(run.detail[check]).toBe(`FreeBSD only; this host runs ${process.platform}`);
      // Paths come from the agent configuration's plugin block and plugin_dir, not from flags.
      expect(run.stdout).toContain(`pot_path   ${sim.potPath}  (from ${install.agentConfig})`);
      expect(run.stdout).toContain(`state_dir  ${install.stateDir}  (from ${install.agentConfig})`);
      expect(run.detail["pot version"]).toBe("pot 0.16.0 (0.16.0 required)");
      expect(run.detail["plugin dir"]).toBe(`${install.pluginDir}: pot-task-driver is this executable`);
      expect(run.detail["state dir"]).toContain(`${install.stateDir} is writable`);
      expect(run.stdout).toMatch(/\n10 pass, 0 warn, 0 fail, 5 skip\n$/);
      expect(run.exitCode).toBe(0);
    },
    DEADLINE_MS,
  );

  test(
    "another copy of the same version in the plugin dir is recognised by its version output",
    async () => {
      const run = await doctor(["--agent-config", install.agentConfig, "--rc-conf", install.rcConf]);
      expect(run.status["plugin dir"]).toBe("pass");
      expect(run.detail["plugin dir"]).toBe(`${install.pluginDir}: pot-task-driver is pot-task-driver ${VERSION}`);
    },
    DEADLINE_MS,
  );

  test(
    "broken settings fail with fixes and exit 1",
    async () => {
      const badRc = join(install.work, "rc-bad.conf");
      writeFileSync(badRc, 'nomad_user="nomad"\nnomad_env="PATH=/usr/bin:/bin"\n');
      const stateFile = join(install.work, "state-is-a-file");
      writeFileSync(stateFile, "");
      const run = await doctor([
        "--agent-config",
        join(install.work, "no-such-dir"),
        "--rc-conf",
        badRc,
        "--pot-path",
        join(install.work, "no-pot"),
        "--plugin-dir",
        join(install.work, "no-plugins"),
        "--state-dir",
        stateFile,
      ]);
      expect(run.status).toMatchObject({
        pot: "fail",
        "pot version": "skip",
        "pot init": "skip",
        "plugin dir": "fail",
        "agent config": "warn",
        "rc.conf nomad_user": "fail",
        "rc.conf nomad_env": "fail",
        "pot helpers": "skip",
        "state dir": "fail",
      });
      expect(run.stdout).toContain(`fix: sysrc nomad_user="root"`);
      expect(run.stdout).toContain("nomad_env PATH lacks /usr/local/bin and /usr/local/sbin");
      expect(run.exitCode).toBe(1);
    },
    DEADLINE_MS,
  );

  test(
    "an uninitialised pot fails pot init with pot's own message",
    async () => {
      const uninitialised = installSimPot(join(install.work, "uninitialised-bin"), {
        POT_SIM_ROOT: join(install.work, "never-initialised"),
      });
      const run = await doctor(["--pot-path", uninitialised, "--state-dir", install.stateDir]);
      expect(run.status.pot).toBe("pass");
      expect(run.status["pot version"]).toBe("pass");
      expect(run.status["pot init"]).toBe("fail");
      expect(run.detail["pot init"]).toContain("please run 'pot init'");
      expect(run.stdout).toContain("fix: pot init (as root)");
      expect(run.exitCode).toBe(1);
    },
    DEADLINE_MS,
  );

  test(
    "bad arguments exit 2 with the usage; --help exits 0",
    async () => {
      const bad = await doctor(["--frobnicate"]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toContain("unknown option --frobnicate");
      expect(bad.stderr).toContain("usage: pot-task-driver doctor");
      const help = await doctor(["--help"]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain("usage: pot-task-driver doctor");
    },
    DEADLINE_MS,
  );
});
