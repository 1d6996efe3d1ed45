// Waiting for `pot start` to finish starting a pot (driver layer). pot marks a pot `started` and records its
// main pid about half a second after the jail exists; before that `pot signal` finds no pid and `pot stop` is
// refused (docs/pot-behaviour.md, "Start"). Checks back off, and cost no pot run when pot's state files can be
// read (PotCli.startProbe).
import type { StartProbe } from "../pot/pot-cli.ts";
import type { PotOperations } from "./ports.ts";

/** How long StartTask waits for pot to mark the pot started before reporting the task started anyway. */
export const START_READY_TIMEOUT_MS = 60_000;

/** First pause between checks and the cap of the backoff, per kind of probe. */
const BACKOFF_MS = {
  "state-files": { first: 25, max: 250 },
  pot: { first: 200, max: 1_000 },
} as const;

export type Readiness = "started" | "ended" | "timed-out";

/**
 * Resolves "started" once pot has marked the pot started with its main pid recorded, "ended" once `ended()`
 * says `pot start` is over (a short task, or a start that failed), "timed-out" after `timeoutMs`.
 */
export async function untilStarted(
  probe: StartProbe,
  ended: () => boolean,
  timeoutMs: number = START_READY_TIMEOUT_MS,
): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  const backoff = BACKOFF_MS[probe.source];
  let pause: number = backoff.first;
  for (;;) {
    if (ended()) return "ended";
    if (await probe.started().catch(() => false)) return "started";
    const left = deadline - Date.now();
    if (left <= 0) return "timed-out";
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(backoff.max, Math.round(pause * 1.6));
  }
}

/** A flag that turns true once `promise` settles, for the `ended` argument of untilStarted. */
export function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  promise.then(mark, mark);
  return () => settled;
}

/**
 * Whether a refused signal or stop met a pot that pot is still starting: the status file says `starting`, or,
 * when the status cannot be read, the main pid is not recorded yet.
 */
export async function stillStarting(pot: PotOperations, potName: string): Promise<{ starting: boolean; probe: StartProbe }> {
  const probe = await pot.startProbe(potName);
  if (probe.source === "state-files") return { starting: (await probe.status())?.status === "starting", probe };
  return { starting: !(await probe.started().catch(() => false)), probe };
}
