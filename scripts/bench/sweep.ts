// Ending everything a benchmark world left running, by pid.
//
// A world's processes are those whose argv or environment names its (unique, temporary) root directory, and every
// process in the session of one of its supervisors (a task's pot start and jailed command stay in that session).
import { allPids, argvOf, environOf, procStat } from "./procfs.ts";

/** Pids that belong to the world rooted at `root` (never this process or its ancestors' other work). */
export function worldPids(root: string, supervisorSessions: ReadonlySet<number>): number[] {
  const found: number[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const stat = procStat(pid);
    if (stat === undefined || stat.state === "Z") continue;
    const mine =
      supervisorSessions.has(stat.session) ||
      argvOf(pid).some((arg) => arg.includes(root)) ||
      environOf(pid).some((entry) => entry.includes(root));
    if (mine) found.push(pid);
  }
  return found;
}

/** SIGKILLs the world's processes until none is left or the deadline passes; returns the pids still alive. */
export async function sweepWorld(root: string, supervisorSessions: ReadonlySet<number>, deadlineMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const pids = worldPids(root, supervisorSessions);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await Bun.sleep(50);
  }
}
