// Blocking flock(2) locks, released by the kernel when the process dies (what pot gets from lockf(1)).
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, openSync } from "node:fs";

const LOCK_EX = 2;
const LIBC_NAMES = ["libc.so.6", "libc.so", "libc.so.7"];

type Flock = (fd: number, operation: number) => number;
let flockFn: Flock | undefined;

function flock(): Flock {
  if (flockFn !== undefined) return flockFn;
  const failures: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      const lib = dlopen(name, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      flockFn = (fd, operation) => lib.symbols.flock(fd, operation);
      return flockFn;
    } catch (err) {
      failures.push(`${name}: ${String(err)}`);
    }
  }
  throw new Error(`pot-sim: cannot load flock from libc (${failures.join("; ")})`);
}

/** Waits (forever, like `lockf -k`) for an exclusive lock on `path`, runs `fn`, then releases it. */
export async function withLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  const fd = openSync(path, "a");
  try {
    if (flock()(fd, LOCK_EX) !== 0) throw new Error(`pot-sim: flock ${path} failed`);
    return await fn();
  } finally {
    closeSync(fd);
  }
}
