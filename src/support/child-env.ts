// The environment of every process the driver starts (support layer: imported by pot/ and supervisor/, imports
// nothing). Nomad starts the plugin with the agent's whole environment (tokens, cloud credentials, go-plugin's
// own variables), and `pot start` hands its environment on to the jailed command (jexec without -l), so no child
// may inherit ours: each gets a fixed, minimal environment built here. docs/security.md explains the rules.

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
 * Why `path` cannot be a child's PATH, or undefined when it can: a colon-separated list of absolute directories
 * without empty entries (an empty entry means the current directory), `.`/`..` segments or control characters.
 */
export function childPathProblem(path: string): string | undefined {
  if (path === "") return "must not be empty";
  if (/[\u0000-\u001f\u007f]/.test(path)) return "must not contain control characters";
  for (const dir of path.split(":")) {
    if (dir === "") return "must not have an empty entry (it would mean the current directory)";
    if (!dir.startsWith("/")) return `must list absolute directories only (got ${JSON.stringify(dir)})`;
    if (dir.split("/").some((part) => part === "." || part === "..")) {
      return `must not contain . or .. segments (got ${JSON.stringify(dir)})`;
    }
  }
  return undefined;
}
