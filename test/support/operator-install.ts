// The compiled driver as an operator installs and runs it, for the suites of its operator commands (doctor,
// selftest): a copy in a plugin dir, a state dir, an agent configuration naming both and the pot to use, and an
// rc.conf as a FreeBSD host keeps one.
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
