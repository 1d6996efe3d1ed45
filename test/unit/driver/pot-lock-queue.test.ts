// The driver's queue in front of pot's global lock: one call at a time, in arrival order, each caller told
// how many are ahead of it.
import { describe, expect, test } from "bun:test";
import { PotLockQueue } from "../../../src/driver/pot-lock-queue.ts";

describe("PotLockQueue", () => {
  test("runs calls one at a time in arrival order and tells later callers how many are ahead", async () => {
    const queue = new PotLockQueue();
    const order: string[] = [];
    const aheads: Record<string, number> = {};
    let running = 0;
    let most = 0;
    let releaseFirst!: () => void;
    const gate = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const call = (name: string, body: () => Promise<void>) =>
      queue.run(
        async () => {
          running++;
          most = Math.max(most, running);
          order.push(name);
          await body();
          running--;
          return name;
        },
        (ahead) => {
          aheads[name] = ahead;
        },
      );
    const first = call("a", () => gate);
    const rest = ["b", "c", "d"].map((n) => call(n, async () => {}));
    expect(queue.length).toBe(4);
    expect(aheads).toEqual({ b: 1, c: 2, d: 3 });
    // Every callback that could run without the gate has run after one full turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["a"]);
    releaseFirst();
    expect(await Promise.all([first, ...rest])).toEqual(["a", "b", "c", "d"]);
    expect(order).toEqual(["a", "b", "c", "d"]);
    expect(most).toBe(1);
    expect(queue.length).toBe(0);
  });

  test("a failing call does not block the ones behind it", async () => {
    const queue = new PotLockQueue();
    const failed = queue.run(async () => {
      throw new Error("pot prepare failed");
    });
    const next = queue.run(async () => "ran");
    await expect(failed).rejects.toThrow("pot prepare failed");
    expect(await next).toBe("ran");
  });
});
