// Unit tests for src/app/deferred-services.ts: handlers registered before their code is loaded.
import { describe, expect, test } from "bun:test";
import type * as grpc from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { deferred } from "../../../src/app/deferred-services.ts";
import { DriverService } from "../../../src/plugin/gen/plugins/drivers/proto/driver.ts";

type Callback = (err: unknown, value?: unknown) => void;
type Handler = (call: unknown, callback?: Callback) => void;

function handlerOf(implementation: grpc.UntypedServiceImplementation, name: string): Handler {
  return implementation[name] as unknown as Handler;
}

describe("deferred", () => {
  test("has a handler for every method; the first calls load once and every call reaches the loaded handler", async () => {
    let loads = 0;
    const seen: string[] = [];
    const loaded = {
      capabilities: (call: { request: string }, callback: Callback) => {
        seen.push(`capabilities ${call.request}`);
        callback(null, "caps");
      },
      fingerprint: (call: { request: string }) => {
        seen.push(`fingerprint ${call.request}`);
      },
    } as unknown as grpc.UntypedServiceImplementation;
    const handlers = deferred(DriverService, async () => {
      loads += 1;
      return loaded;
    });
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(DriverService).sort());
    const answers = await Promise.all(
      ["a", "b"].map(
        (request) => new Promise((resolve) => handlerOf(handlers, "capabilities")({ request }, (err, value) => resolve([err, value]))),
      ),
    );
    handlerOf(handlers, "fingerprint")({ request: "c" });
    await Bun.sleep(0);
    expect(answers).toEqual([
      [null, "caps"],
      [null, "caps"],
    ]);
    expect(seen).toEqual(["capabilities a", "capabilities b", "fingerprint c"]);
    // The loader given to deferred() is the caller's to memoise; here each call asked it again.
    expect(loads).toBe(3);
  });

  test("a failed load answers unary calls through the callback and streams with an error event, as INTERNAL", async () => {
    const handlers = deferred(DriverService, async () => {
      throw new Error("module missing");
    });
    const unary = await new Promise<unknown>((resolve) => handlerOf(handlers, "capabilities")({}, (err) => resolve(err)));
    expect(unary).toMatchObject({ code: 13, details: expect.stringContaining("module missing") });
    const stream = new EventEmitter();
    const streamed = new Promise<unknown>((resolve) => stream.once("error", resolve));
    handlerOf(handlers, "fingerprint")(stream);
    expect(await streamed).toMatchObject({ code: 13, details: expect.stringContaining("module missing") });
  });
});
