// The versioned blob Nomad stores in TaskHandle.driver_state (driver layer): everything RecoverTask needs.
//
// After an agent restart Nomad hands RecoverTask a handle whose msgpack_driver_config is empty (Nomad does not
// persist it), so the state holds the pot name, the supervisor's pid and bundle, and the start time itself.
// Encoded as JSON; `v` is also sent as TaskHandle.version (0 is reserved by Nomad).
import { describeError } from "../log/logger.ts";
import type { JailAccount } from "./jail-user.ts";

export const DRIVER_STATE_VERSION = 1;

export interface DriverState {
  taskId: string;
  potName: string;
  bundleDir: string;
  supervisorPid: number;
  /** ISO-8601 start time. */
  startedAt: string;
  /** label → jail port and the jail's address, when the jail has its own IP. */
  network?: { portMap: Record<string, number>; address: string };
  /** The pot's stop_timeout attribute in seconds, when the job set one (stop deadlines derive from it). */
  stopTimeoutS?: number;
  /** The jail account the task runs as (`user`); exec sessions switch to it too. Absent: root. */
  user?: JailAccount;
}

export type DriverStateResult = { ok: true; state: DriverState } | { ok: false; reason: string };

export function encodeDriverState(state: DriverState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: DRIVER_STATE_VERSION, ...state }));
}

/** Decodes a state of any version this driver knows; anything else is a reason, never a throw. */
export function decodeDriverState(bytes: Uint8Array, handleVersion: number): DriverStateResult {
  if (bytes.length === 0) return { ok: false, reason: "the task handle carries no driver state" };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return { ok: false, reason: `driver state is not JSON: ${describeError(err)}` };
  }
  if (typeof raw !== "object" || raw === null) return { ok: false, reason: "driver state is not an object" };
  const r = raw as Record<string, unknown>;
  const version = r.v;
  if (version !== DRIVER_STATE_VERSION || (handleVersion !== 0 && handleVersion !== DRIVER_STATE_VERSION)) {
    return { ok: false, reason: `unsupported driver state version ${String(version)} (handle version ${handleVersion})` };
  }
  const str = (k: string): string | undefined => (typeof r[k] === "string" && (r[k] as string).length > 0 ? (r[k] as string) : undefined);
  const taskId = str("taskId");
  const potName = str("potName");
  const bundleDir = str("bundleDir");
  const startedAt = str("startedAt");
  const pid = r.supervisorPid;
  if (!taskId || !potName || !bundleDir || !startedAt || typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) {
    return { ok: false, reason: "driver state lacks taskId, potName, bundleDir, supervisorPid or startedAt" };
  }
  const state: DriverState = { taskId, potName, bundleDir, supervisorPid: pid, startedAt };
  if (typeof r.stopTimeoutS === "number" && Number.isInteger(r.stopTimeoutS) && r.stopTimeoutS >= 0) state.stopTimeoutS = r.stopTimeoutS;
  const network = r.network as { portMap?: unknown; address?: unknown } | undefined;
  if (network && typeof network.address === "string" && typeof network.portMap === "object" && network.portMap !== null) {
    const portMap: Record<string, number> = {};
    for (const [label, port] of Object.entries(network.portMap as Record<string, unknown>)) {
      if (typeof port === "number") portMap[label] = port;
    }
    state.network = { portMap, address: network.address };
  }
  if (r.user !== undefined) {
    const user = decodeAccount(r.user);
    // A task that runs as a user must never be exec'd into as root because its state was unreadable.
    if (user === undefined) return { ok: false, reason: "driver state has a malformed user" };
    state.user = user;
  }
  return { ok: true, state };
}

function decodeAccount(raw: unknown): JailAccount | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const a = raw as Record<string, unknown>;
  const id = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
  if (typeof a.name !== "string" || a.name === "" || !id(a.uid) || !id(a.gid) || typeof a.home !== "string") return undefined;
  if (!Array.isArray(a.groups) || a.groups.length === 0 || !a.groups.every(id)) return undefined;
  return { name: a.name, uid: a.uid, gid: a.gid, groups: [...a.groups], home: a.home };
}
