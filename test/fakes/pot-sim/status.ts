// The lifecycle status machine (set-status.sh): pot_status_<pot> files, serialised per pot by a lock.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { Sim } from "./context.ts";
import { withLock } from "./lock.ts";
import { potLockFile, statusFile } from "./paths.ts";
import { bootTimeSeconds } from "./procs.ts";

export const STATUSES = ["starting", "doa", "started", "stopping", "stopped"] as const;
export type PotStatus = (typeof STATUSES)[number];

export interface StatusRecord {
  status: string;
  ifaces: string;
}

/** The current status, or null when there is no file or it predates the last boot (0.16.0). */
export function readStatus(sim: Sim, pot: string): StatusRecord | null {
  const file = statusFile(sim.paths, pot);
  if (!existsSync(file)) return null;
  if (statSync(file).mtimeMs / 1000 < bootTimeSeconds()) {
    sim.out.debug(`Ignoring outdated status file ${file} of pot ${pot}`);
    return null;
  }
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("pot.status="));
  const value = (lines.at(-1) ?? "").replace(/[ \t"]/g, "").split("=")[1] ?? "";
  const [status = "", ifaces = ""] = value.split(",");
  return status === "" ? null : { status, ifaces };
}

export interface TransitionResult {
  /** 0 done, 1 not allowed from the current status, 2 already in that status. */
  rc: 0 | 1 | 2;
  /** For `stopping`: the interfaces stored when the pot started. */
  ifaces: string;
}

function allowed(current: string | undefined, next: PotStatus): boolean {
  switch (next) {
    case "starting":
      return current === undefined || current === "stopped";
    case "started":
    case "doa":
      return current === "starting";
    case "stopping":
      return current === "started" || current === "doa" || current === "stopped";
    case "stopped":
      return current === "stopping";
  }
}

/** `lockf pot-lock-<pot> pot set-status -p <pot> -s <status> [-i ifaces]`. */
export async function setStatus(sim: Sim, pot: string, next: PotStatus, ifaces = ""): Promise<TransitionResult> {
  return withLock(potLockFile(sim.paths, pot), () => {
    const current = readStatus(sim, pot);
    if (current?.status === next) return { rc: 2, ifaces: "" };
    if (!allowed(current?.status, next)) return { rc: 1, ifaces: "" };
    const storedIfaces = next === "stopping" ? (current?.ifaces ?? "") : next === "started" || next === "doa" ? ifaces : "";
    writeFileSync(statusFile(sim.paths, pot), `pot.status=${next},${storedIfaces}\n`);
    return { rc: 0, ifaces: next === "stopping" ? storedIfaces : "" };
  });
}
