// The environment of every process the driver starts (support layer: imported by pot/ and supervisor/; imports
// only absolute-path.ts). Nomad starts the plugin with the agent's whole environment (tokens, cloud credentials,
// go-plugin's own variables), and `pot start` hands its environment on to the jailed command (jexec without -l),
// so no child may inherit ours: each gets a fixed, minimal environment built here. docs/security.md explains the
// rules.
import { absolutePathProblem } from "./absolute-path.ts";

/**
 * PATH of every child when the plugin config sets none: pot lives in /usr/local/bin, its helpers potnet and
 * potcpu too, and the base system tools it runs (jail, jexec, jls, zfs, pfctl, rctl, cpuset, mount_nullfs…)
 * in /sbin, /bin, /usr/sbin and /usr/bin.
 */
export const DEFAULT_CHILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ChildEnvOptions {
  /** The PATH to give; DEFAULT_CHILD_PATH when absent. */
  path?: string;
  /**
   * The caller parses the child's output: add LC_ALL=C so numbers, dates and messages have one spelling. Not for
   * `pot start`, whose environment the task inherits (a job's LANG would lose to LC_ALL).
   */
  parsed?: boolean;
}

/** A fresh environment: PATH, and LC_ALL=C when the output is parsed. Nothing of the plugin's own. */
export function childEnv(options: ChildEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: options.path ?? DEFAULT_CHILD_PATH };
  if (options.parsed === true) env.LC_ALL = "C";
  return env;
}

/**
 * Why `path` cannot be a child's PATH, or undefined when it can: a colon-separated list of directories, each
 * keeping the absolute-path rule (absolute-path.ts), without empty entries (an empty entry means the current
 * directory).
 */
export function childPathProblem(path: string): string | undefined {
  if (path === "") return "must not be empty";
  for (const dir of path.split(":")) {
    if (dir === "") return "must not have an empty entry (it would mean the current directory)";
    const problem = absolutePathProblem(dir);
    if (problem !== undefined) return `each entry ${problem} (got ${JSON.stringify(dir)})`;
  }
  return undefined;
}
