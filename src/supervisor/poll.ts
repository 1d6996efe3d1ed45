// Waiting for a condition on files in one directory: change events from fs.watch plus a steady poll (layer 4).
import { watch, type FSWatcher } from "node:fs";

export interface PollOptions {
  /** Interval of the steady poll; the check also runs on every change event in the directory. */
  pollMs: number;
  /** Aborting rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Resolves with the first value other than undefined that `check` returns. `check` runs at once, then on every
 * change event in `dir` and every `pollMs`; runs never overlap (an event during a run schedules one more run).
 * The poll is what guarantees progress: fs.watch may be unavailable, may coalesce events, and says nothing
 * about processes. Rejects when `check` throws or the signal aborts; nothing keeps running afterwards.
 */
export function pollUntil<T>(dir: string, check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const { pollMs, signal } = options;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    let watcher: FSWatcher | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;

    const finish = (): void => {
      done = true;
      if (timer !== undefined) clearInterval(timer);
      watcher?.close();
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      if (done) return;
      finish();
      reject(signal?.reason);
    };
    const run = (): void => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      check().then(
        (value) => {
          running = false;
          if (done) return;
          if (value !== undefined) {
            finish();
            resolve(value);
          } else if (again) {
            again = false;
            run();
          }
        },
        (err: unknown) => {
          running = false;
          if (done) return;
          finish();
          reject(err);
        },
      );
    };

    if (signal?.aborted) {
      done = true;
      reject(signal.reason);
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    timer = setInterval(run, pollMs);
    try {
      watcher = watch(dir, { persistent: true }, () => run());
      watcher.on("error", () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The steady poll alone still makes progress (e.g. out of inotify watches, or the directory vanished).
      watcher = undefined;
    }
    run();
  });
}
