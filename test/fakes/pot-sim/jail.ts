// The simulated jail: how its command runs (tinirc), its environment, and how `jail -r` tears it down.
import { statSync } from "node:fs";
import { join } from "node:path";
import { getConfRaw, getConfVar, JAIL_ATTRIBUTES } from "./conf.ts";
import type { Sim } from "./context.ts";
import { jailRoot } from "./paths.ts";
import { readJail } from "./pots.ts";
import { isAlive, processTree, signalAll } from "./procs.ts";
import { ROOT_CREDENTIALS } from "./users.ts";
import { infoEnvLines } from "./verbs/query.ts";

/** PATH inside the jail: the jail's own bin directories first, then the host's. */
export function jailPath(root: string): string {
  return `${root}/usr/local/bin:${root}/usr/local/sbin:${root}/bin:/usr/local/bin:/usr/bin:/bin`;
}

/** The process environment of anything jail(8) runs with exec.clean (exec.stop): nothing of pot's own; root's credentials. */
export function jailProcessEnv(sim: Sim, pot: string): Record<string, string> {
  const root = jailRoot(sim.paths, pot);
  return { PATH: jailPath(root), POT_SIM_JAIL_ROOT: root, ...ROOT_CREDENTIALS };
}

/** The simulator's own settings (what real pot reads from its pot.conf file, not from the environment). */
const SIM_SETTINGS = /^POT_SIM_(ROOT|VERSION|RACCT|KNOBS|BUN)$/;

/**
 * The environment of the jail's command under `pot start`. start.sh runs it as `jexec <pot> <cmd>` without -l,
 * so the command inherits pot start's whole environment, plus IFCONFIG_FORMAT, which bin/pot exports (pot's
 * configuration is read from files and stays unexported). Stand-ins for the chroot a real jail has: PATH's
 * directories are looked up in the jail root first, and POT_SIM_JAIL_ROOT names that root.
 */
export function startCommandEnv(sim: Sim, pot: string): Record<string, string> {
  const root = jailRoot(sim.paths, pot);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(sim.env)) {
    if (value !== undefined && !SIM_SETTINGS.test(name)) env[name] = value;
  }
  env.IFCONFIG_FORMAT = "addr:default";
  const inherited = sim.env.PATH;
  env.PATH =
    inherited === undefined || inherited === ""
      ? jailPath(root)
      : [...inherited.split(":").map((dir) => `${root}${dir}`), ...inherited.split(":")].join(":");
  env.POT_SIM_JAIL_ROOT = root;
  // jexec without -u/-U: the command runs as root.
  Object.assign(env, ROOT_CREDENTIALS);
  return env;
}

/**
 * The host path of a program named by its in-jail absolute path, when the jail root has it
 * (`/usr/local/bin/app` → `<m>/usr/local/bin/app`); any other name is returned unchanged. This stands in for
 * the chroot a real jail has; only the program is translated, not paths among its arguments.
 */
export function resolveProgram(root: string, program: string): string {
  if (!program.startsWith("/")) return program;
  const inside = join(root, program);
  try {
    return statSync(inside).isFile() ? inside : program;
  } catch {
    return program;
  }
}

/** Applies resolveProgram to the first word of a shell command line when that word is a plain absolute path. */
export function resolveCommandLine(root: string, command: string): string {
  const match = /^(\s*)(\/[^\s;&|<>()'"`$\\]+)(.*)$/s.exec(command);
  if (match === null) return command;
  const [, lead = "", program = "", rest = ""] = match;
  return `${lead}${resolveProgram(root, program)}${rest}`;
}

/** start.sh `_js_get_cmd`: pot.cmd, raw, default `sh /etc/rc`. */
export function potCommand(sim: Sim, pot: string): string {
  return getConfRaw(sim, pot, "pot.cmd")[0] || "sh /etc/rc";
}

/**
 * The no-rc-script start script, as pot writes m/tmp/tinirc: `export "VAR=value"` per pot.env line, the
 * `pot info -E` exports, then `exec <pot.cmd>`. The jail's sh expands `$`, backquotes and `\` in values.
 */
export function tinirc(sim: Sim, pot: string): string {
  const lines = ["# created by pot-sim, as pot's tinirc"];
  for (const entry of getConfRaw(sim, pot, "pot.env")) lines.push(`export ${entry}`);
  lines.push(...infoEnvLines(sim, pot));
  lines.push(`exec ${resolveCommandLine(jailRoot(sim.paths, pot), potCommand(sim, pot))}`);
  return `${lines.join("\n")}\n`;
}

export function stopTimeoutSeconds(sim: Sim, pot: string): number {
  const value = getConfVar(sim, pot, "pot.attr.stop_timeout");
  return /^[0-9]+$/.test(value) ? Number(value) : Number(JAIL_ATTRIBUTES.stop_timeout?.default);
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/**
 * `jail -r`: exec.stop (if set) inside the jail, SIGTERM to every jailed process, SIGKILL to what is left
 * after stop.timeout seconds. Like jail(8) it returns once the jail's processes are gone; it does not wait for
 * the blocking `pot start` to record the exit (that happens after `pot stop` may have returned).
 */
export async function removeJail(sim: Sim, pot: string): Promise<void> {
  const record = readJail(sim, pot);
  if (record === null) return;
  const timeoutMs = stopTimeoutSeconds(sim, pot) * 1000;
  // exec_stop keeps spaces and quotes but, like every pot.conf value, ends at the next `=`.
  const execStop = (getConfRaw(sim, pot, "pot.attr.exec_stop")[0] ?? "").split("=")[0] ?? "";
  if (execStop !== "" && record.mainPid !== undefined && isAlive(record.mainPid, record.mainTicks)) {
    const stopper = Bun.spawn(["/bin/sh", "-c", execStop], {
      cwd: jailRoot(sim.paths, pot),
      env: jailProcessEnv(sim, pot),
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
    });
    await Promise.race([stopper.exited, Bun.sleep(timeoutMs)]);
  }
  const jailed = () => (record.mainPid !== undefined && isAlive(record.mainPid, record.mainTicks) ? processTree(record.mainPid) : []);
  signalAll(jailed(), "SIGTERM");
  if (!(await waitUntil(() => jailed().length === 0, timeoutMs))) {
    signalAll(jailed(), "SIGKILL");
    await waitUntil(() => jailed().length === 0, 5_000);
  }
}
