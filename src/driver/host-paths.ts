// Host-path policy (driver layer): which host files a job may copy or mount into its jail.
//
// The driver runs as root and job files come from anyone allowed to submit jobs, so a `copy`/`mount` source is
// allowed only inside the task's own directories (its task dir and the allocation's shared dir) or under a
// directory the operator listed in the plugin's `allowed_host_paths`. Sources are resolved (symlinks included)
// before the check, so a link inside an allowed directory cannot point elsewhere.
import { realpath } from "node:fs/promises";
import { errnoOf } from "../support/errno.ts";
import type { ConfigIssue } from "./config-schema.ts";
import type { TaskConfig } from "./task-config.ts";

export interface HostPathPolicy {
  /** Directories always allowed: the task's own. */
  taskDirs: readonly string[];
  /** The operator's allowlist (plugin config `allowed_host_paths`). */
  allowed: readonly string[];
}

/** Resolves a path to its canonical form, or says why it cannot. Replaced in tests. */
export type PathResolver = (path: string) => Promise<{ ok: true; path: string } | { ok: false; reason: string }>;

export const resolveRealPath: PathResolver = async (path) => {
  try {
    return { ok: true, path: await realpath(path) };
  } catch (err) {
    const code = errnoOf(err);
    return { ok: false, reason: code === "ENOENT" ? "does not exist on the host" : `cannot be resolved (${code ?? String(err)})` };
  }
};

export function isWithin(path: string, dir: string): boolean {
  const root = dir.length > 1 && dir.endsWith("/") ? dir.slice(0, -1) : dir;
  return root === "/" || path === root || path.startsWith(`${root}/`);
}

/** Every copy/mount source that breaks the policy, one issue each, with the entry's path in the config. */
export async function checkHostPaths(
  config: TaskConfig,
  policy: HostPathPolicy,
  resolve: PathResolver = resolveRealPath,
): Promise<ConfigIssue[]> {
  const roots: string[] = [];
  for (const dir of [...policy.taskDirs, ...policy.allowed]) {
    const resolved = await resolve(dir);
    // An allowed directory that does not exist yet still counts by its own name.
    roots.push(resolved.ok ? resolved.path : dir);
  }
  const entries: Array<[string, string, string]> = [
    ...config.copy.map((e, i): [string, string, string] => [`config.copy[${i}]`, e.hostPath, `${e.hostPath}:${e.jailPath}`]),
    ...config.mount.map((e, i): [string, string, string] => [`config.mount[${i}]`, e.hostPath, `${e.hostPath}:${e.jailPath}`]),
    ...config.mountReadOnly.map((e, i): [string, string, string] => [
      `config.mount_read_only[${i}]`,
      e.hostPath,
      `${e.hostPath}:${e.jailPath}`,
    ]),
  ];
  const issues: ConfigIssue[] = [];
  for (const [path, hostPath, entry] of entries) {
    const resolved = await resolve(hostPath);
    if (!resolved.ok) {
      issues.push({ path, message: `host path ${hostPath} ${resolved.reason}`, value: entry });
      continue;
    }
    if (!roots.some((root) => isWithin(resolved.path, root))) {
      const shown = resolved.path === hostPath ? hostPath : `${hostPath} (resolves to ${resolved.path})`;
      issues.push({
        path,
        message: `host path ${shown} is outside the task's directories and not under the plugin's allowed_host_paths`,
        value: entry,
      });
    }
  }
  return issues;
}

/**
 * The task-directory mounts (sources inside the allocation directory) that lead elsewhere: pot mounts them as
 * root with mount_nullfs, which follows symlinks, and a task can plant one in the shared alloc/ directory for
 * its own restart or for another task of the allocation. Every component below `allocDir` must be what it says:
 * the source's real path is the alloc dir's real path plus the same suffix. The alloc dir itself is the
 * operator's (its own symlinks are trusted). A source that does not exist yet is left to pot, which refuses it.
 * Returns one problem per source, naming the path and where it leads (docs/security.md, "The log path").
 */
export async function checkAllocDirMounts(
  dirs: readonly string[],
  allocDir: string,
  resolve: PathResolver = resolveRealPath,
): Promise<string[]> {
  const root = await resolve(allocDir);
  if (!root.ok) return [];
  const problems: string[] = [];
  for (const dir of dirs) {
    if (!isWithin(dir, allocDir) || dir === allocDir) continue;
    const resolved = await resolve(dir);
    if (!resolved.ok) continue;
    const expected = `${root.path}${dir.slice(allocDir.replace(/\/+$/, "").length)}`;
    if (resolved.path !== expected) {
      problems.push(`${dir} leads to ${resolved.path}: a symlink inside the allocation directory`);
    }
  }
  return problems;
}
