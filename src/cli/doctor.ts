// `pot-task-driver doctor`: checks the host for what the driver needs and prints one line per check (cli layer).
import { SpawnRunner } from "../pot/runner.ts";
import { type CheckResult, type CheckStatus, exitCodeFor, type HostProbe, runChecks, type Setting } from "./doctor-checks.ts";
import { probeHost } from "./doctor-probe.ts";
import type { DoctorFlags } from "./doctor-settings.ts";
import { commandOptions, type OptionSpecs } from "./options.ts";
import { renderTable } from "./table.ts";

export const DOCTOR_USAGE = `usage: pot-task-driver doctor [--pot-path P] [--state-dir D] [--plugin-dir D]
                              [--agent-config FILE|DIR …] [--rc-conf FILE]

Checks this host for what the driver needs: pot and its version, pot init, ZFS, rctl, VIMAGE, pf anchors, the
Nomad plugin directory and agent configuration, rc.conf, and the state directory. Paths not given are taken
from the agent configuration (its plugin block and plugin_dir), else the defaults. Exit status: 0 when no
check fails, 1 when one does, 2 for bad arguments.
`;

const COMMAND_TIMEOUT_MS = 10_000;

export interface DoctorIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The doctor's options; the selftest takes them too, since it runs the same checks first. */
export const DOCTOR_OPTIONS = {
  "pot-path": "value",
  "state-dir": "value",
  "plugin-dir": "value",
  "agent-config": "list",
  "rc-conf": "value",
} as const satisfies OptionSpecs;

/** Runs the doctor with the words after `doctor`; resolves with the process exit code. */
export async function doctorCommand(argv: readonly string[], version: string, io: DoctorIo): Promise<number> {
  const parsed = commandOptions("doctor", argv, DOCTOR_OPTIONS, DOCTOR_USAGE, io);
  if (!parsed.ok) return parsed.exitCode;
  const { values, lists } = parsed.options;
  const probe = await probeThisHost(
    {
      ...(values["pot-path"] === undefined ? {} : { potPath: values["pot-path"] }),
      ...(values["state-dir"] === undefined ? {} : { stateDir: values["state-dir"] }),
      ...(values["plugin-dir"] === undefined ? {} : { pluginDir: values["plugin-dir"] }),
      ...(lists["agent-config"] === undefined ? {} : { agentConfigs: lists["agent-config"] }),
      ...(values["rc-conf"] === undefined ? {} : { rcConf: values["rc-conf"] }),
    },
    version,
  );
  const results = runChecks(probe);
  io.stdout(renderDoctorReport(probe, results));
  return exitCodeFor(results);
}

/** Probes this host as the running executable sees it (the doctor's and the selftest's first step). */
export function probeThisHost(flags: DoctorFlags, version: string): Promise<HostProbe> {
  return probeHost(flags, {
    platform: process.platform,
    ...(typeof process.getuid === "function" ? { uid: process.getuid() } : {}),
    runner: new SpawnRunner(),
    selfPath: process.execPath,
    selfVersion: version,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
  });
}

/** The whole report: where the paths came from, the table, and the counts. */
export function renderDoctorReport(probe: HostProbe, results: readonly CheckResult[]): string {
  const { settings } = probe;
  const agentSource = settings.agentConfigPaths[0] ? sourceText(settings.agentConfigPaths[0]) : "none";
  const setting = (name: string, value: Setting) => `  ${name.padEnd(10)} ${value.value}  (${sourceText(value)})`;
  const header = [
    `pot-task-driver ${probe.self.version} doctor on ${probe.platform}`,
    setting("pot_path", settings.potPath),
    setting("path", settings.childPath),
    setting("state_dir", settings.stateDir),
    setting("plugin_dir", settings.pluginDir),
    `  agent      ${settings.agentConfigPaths.map((path) => path.value).join(" ")}  (${agentSource})`,
    `  rc.conf    ${settings.rcConfPaths.join(" ")}`,
  ].join("\n");
  const table = renderTable(
    ["STATUS", "CHECK", "DETAIL / FIX"],
    results.map((result) => [
      result.status,
      result.check,
      result.fix === undefined ? result.detail : `${result.detail}\nfix: ${result.fix}`,
    ]),
  );
  const counts = (["pass", "warn", "fail", "skip"] as const satisfies readonly CheckStatus[])
    .map((status) => `${results.filter((result) => result.status === status).length} ${status}`)
    .join(", ");
  return `${header}\n\n${table}\n${counts}\n`;
}

function sourceText(setting: Setting): string {
  switch (setting.source) {
    case "flag":
      return "command line";
    case "agent config":
      return `from ${setting.file ?? "agent config"}`;
    case "nomad_args":
      return "from nomad_args in rc.conf";
    case "default":
      return "default";
  }
}
