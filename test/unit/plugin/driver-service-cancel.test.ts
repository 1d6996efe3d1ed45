// Streams cancelled before their handler ran (the handlers load after the handshake, src/app/deferred-services.ts):
// TaskStats and Fingerprint must not start work for a call nobody listens to any more.
import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import type { PotDriver } from "../../../src/driver/driver.ts";
import { driverServer } from "../../../src/plugin/driver-service.ts";

function fakeDriver(calls: string[]): PotDriver {
  return {
    taskStats: () => {
      calls.push("stats subscribed");
      return () => calls.push("stats unsubscribed");
    },
    fingerprint: async () => {
      calls.push("fingerprinted");
      return { health: "healthy", description: "Healthy", attributes: {} };
    },
    fingerprintPeriodMs: () => 60_000,
    isRunning: () => true,
    mhzPerCore: () => 1000,
  } as unknown as PotDriver;
}

function fakeCall(cancelled: boolean, request: object) {
  return Object.assign(new EventEmitter(), { cancelled, request, write: () => true, end: () => {} });
}

type StreamHandler = (call: unknown) => void;

describe("streams cancelled before their handler ran", () => {
  for (const cancelled of [true, false]) {
    test(cancelled ? "start nothing" : "(control) start their work when not cancelled", async () => {
      const calls: string[] = [];
      const server = driverServer(fakeDriver(calls));
      const stats = fakeCall(cancelled, { taskId: "t1", collectionInterval: { seconds: 1n, nanos: 0 } });
      const fingerprint = fakeCall(cancelled, {});
      (server.taskStats as unknown as StreamHandler)(stats);
      (server.fingerprint as unknown as StreamHandler)(fingerprint);
      await Bun.sleep(0);
      expect(calls.sort()).toEqual(cancelled ? [] : ["fingerprinted", "stats subscribed"]);
      // End the control's streams so no timer is left behind.
      stats.emit("cancelled");
      fingerprint.emit("cancelled");
    });
  }
});
