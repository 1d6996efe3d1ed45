// Whether a pid names a process, by kill(pid, 0) (support layer: used by supervisor/ and cli/).
import { isErrno } from "./errno.ts";

/** True for a live or zombie process, also one of another user (EPERM); false only when there is none (ESRCH). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, "ESRCH");
  }
}
