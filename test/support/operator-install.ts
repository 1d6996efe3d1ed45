// The compiled driver as an operator installs and runs it, for the suites of its operator commands (doctor,
// selftest, orphans): a copy in a plugin dir, a state dir, an agent configuration naming both and the pot to use,
// an rc.conf as a FreeBSD host keeps one; and a command run that is killed at a deadline.
import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OperatorInstall {
  /** The temporary directory holding all of it. */
  work: string;
  pluginDir: string;
  /** The driver's copy in the plugin dir. */
  installed: string;
  stateDir: string;
  /** agent.hcl: plugin_dir, and the plugin block's pot_path and state_dir. */
  agentConfig: string;
  /** rc.conf with nomad enabled, run as root, with /usr/local on its PATH. */
  rcConf: string;
  remove: () => void;
}

export function installForOperator(binary: string, potPath: string, prefix: string): OperatorInstall {
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const pluginDir = join(work, "plugins");
  const stateDir = join(work, "state");
  mkdirSync(pluginDir);
  mkdirSync(stateDir, { mode: 0o700 });
  const installed = join(pluginDir, "pot-task-driver");
  copyFileSync(binary, installed);
  chmodSync(installed, 0o755);
  const agentConfig = join(work, "agent.hcl");
  writeFileSync(
    agentConfig,
    `plugin_dir = "${pluginDir}"

plugin "pot-task-driver" {
  config {
    pot_path  = "${potPath}"
    state_dir = "${stateDir}"
  }
}
`,
  );
  const rcConf = join(work, "rc.conf");
  writeFileSync(
    rcConf,
    'nomad_enable="YES"\nnomad_user="root"\nnomad_env="PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/sbin:/bin"\n',
  );
  return { work, pluginDir, installed, stateDir, agentConfig, rcConf, remove: () => rmSync(work, { recursive: true, force: true }) };
}

export interface CommandRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` with this process's PATH plus `env`, reads its output to the end and returns it with the exit status;
 * SIGKILLs it at the deadline. `input`, when given, is written to its stdin (a pipe), which is then closed.
 */
export async function runToEnd(
  argv: string[],
  options: { env: Record<string, string>; timeoutMs: number; input?: string },
): Promise<CommandRun> {
  const proc = Bun.spawn(argv, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
    stdin: options.input === undefined ? "ignore" : "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  if (options.input !== undefined) {
    proc.stdin?.write(options.input);
    proc.stdin?.end();
  }
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}
