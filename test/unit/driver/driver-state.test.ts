// driver_state round trip and rejection of anything this driver did not write.
import { describe, expect, test } from "bun:test";
import { decodeDriverState, encodeDriverState, type DriverState } from "../../../src/driver/driver-state.ts";

const STATE: DriverState = {
  taskId: "alloc/web/abcd1234",
  potName: "web_abcd1234_alloc",
  bundleDir: "/var/db/pot-task-driver/tasks/x",
  supervisorPid: 4242,
  startedAt: "2026-12-01T10:00:00.000Z",
  network: { portMap: { http: 80 }, address: "10.192.0.5" },
};

describe("driver state", () => {
  test("round trip keeps every field", () => {
    expect(decodeDriverState(encodeDriverState(STATE), 1)).toEqual({ ok: true, state: STATE });
  });

  test("round trip without network", () => {
    const { network: _n, ...rest } = STATE;
    expect(decodeDriverState(encodeDriverState(rest), 1)).toEqual({ ok: true, state: rest });
  });

  test.each([
    ["empty", new Uint8Array()],
    ["not json", new TextEncoder().encode("{nope")],
    ["wrong version", new TextEncoder().encode(JSON.stringify({ ...STATE, v: 99 }))],
    ["missing pid", new TextEncoder().encode(JSON.stringify({ ...STATE, v: 1, supervisorPid: undefined }))],
    ["msgpack from another driver", new Uint8Array([0x83, 0xa1, 0x61, 0x01])],
  ])("%s is a reason, not a throw", (_name, bytes) => {
    const result = decodeDriverState(bytes, 1);
    expect(result.ok).toBe(false);
  });
});
