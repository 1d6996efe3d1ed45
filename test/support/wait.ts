// Waiting in tests: poll a condition until a deadline, or race a promise against one. Deadlines are stretched by
// TEST_TIMEOUT_MULTIPLIER (test/setup.ts) on slow hosts; nothing here sleeps for a fixed time to let things happen.
import { TIMEOUT_MULTIPLIER } from "../setup.ts";

/** What a poll yields while the awaited thing has not happened yet. */
type NotYet = undefined | null | false | 0 | "";

/**
 * Calls `check` every `intervalMs` until it returns a truthy value, which it resolves with; rejects naming `what`
 * once `timeoutMs` have passed.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs * TIMEOUT_MULTIPLIER;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(intervalMs);
  }
}

/** Settles with the promise's value, or rejects naming `what` after the deadline. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs * TIMEOUT_MULTIPLIER);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
