// Appends one JSON line per invocation to $POT_SIM_ROOT/invocations.log (argv, cwd, selected env).
import { appendFileSync } from "node:fs";
import type { SimPaths } from "./paths.ts";

export interface InvocationRecord {
  time: string;
  pid: number;
  ppid: number;
  /** Arguments after `pot`. */
  argv: string[];
  cwd: string;
  /** Variables whose names start with POT_, _POT_ or NOMAD_. */
  env: Record<string, string>;
}

export function recordInvocation(paths: SimPaths, args: readonly string[], env: NodeJS.ProcessEnv): void {
  const selected: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && /^(POT_|_POT_|NOMAD_)/.test(name)) selected[name] = value;
  }
  const record: InvocationRecord = {
    time: new Date().toISOString(),
    pid: process.pid,
    ppid: process.ppid,
    argv: [...args],
    cwd: process.cwd(),
    env: selected,
  };
  try {
    appendFileSync(paths.invocationsLog, `${JSON.stringify(record)}\n`);
  } catch {
    // The root may not exist yet (pot init); nothing to record into.
  }
}
