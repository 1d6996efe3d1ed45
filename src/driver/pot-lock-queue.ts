// The driver's side of pot's global lock (driver layer). pot runs prepare, copy-in, import, clone and create
// under one `lockf` lock that waits forever (docs/pot-behaviour.md, "Locks"), so a slow image download stalls
// every other such call, and a deadline on a pot run would count the time spent waiting for the lock. The
// driver therefore runs these calls one at a time, in arrival order: a call's deadline starts when it is
// spawned, with the lock (as far as this driver is concerned) free, and a caller learns how many are ahead.

export class PotLockQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Calls queued or running. */
  private pending = 0;

  /** Calls queued or running right now. */
  get length(): number {
    return this.pending;
  }

  /**
   * Runs `fn` once every call queued before it has finished. `onWait` is called first, with the number of calls
   * ahead, when there are any.
   */
  async run<T>(fn: () => Promise<T>, onWait?: (ahead: number) => void): Promise<T> {
    const ahead = this.pending;
    this.pending++;
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      if (ahead > 0) onWait?.(ahead);
      await previous;
      return await fn();
    } finally {
      this.pending--;
      release();
    }
  }
}
