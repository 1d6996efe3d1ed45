// Forced pot destroy with a few retries (driver layer). Nomad calls DestroyTask once and ignores its error
// (docs/protocol.md §7.2), so one transient `pot destroy` failure (a busy dataset, a concurrent stop) would leak
// the pot and the task's bundle for good; a failed start's cleanup has no second chance either.
import { describeError } from "../log/logger.ts";
import { isPotError } from "../pot/errors.ts";
import type { DestroyOutcome } from "../pot/pot-cli.ts";
import type { PotOperations } from "./ports.ts";

/** Attempts in all, and the pause before the n-th retry (n × this). */
export const DESTROY_ATTEMPTS = 3;
const DESTROY_RETRY_STEP_MS = 1_000;

export interface DestroyOptions {
  /** Deadline of each `pot destroy -F` (and of the release's `pot stop`). */
  timeoutMs?: number;
  /**
   * True when no `pot start` of this pot can still be running (its supervisor has ended). Only then may a pot
   * that start left `starting` or `stopping` be released (see releaseHalfStartedPot).
   */
  startGone?: () => boolean;
  /** Told what the release did, for the caller to say so. */
  onRelease?: (what: string) => void;
}

/** pot's refusals that a `pot start` killed midway leaves behind: a status nobody will move on, or its mounts. */
const HALF_STARTED = /not in a state where it can be stopped|is already stopping!|zfs failed to destroy the dataset/;

/**
 * `pot destroy -F -p <pot>`, retried after failures a retry can cure. A rejected argument or a destroy that ran
 * into its own deadline is not retried. A pot whose start is gone and which pot refuses to destroy because it
 * is still `starting` or `stopping` (or still has the mounts start made) is released first, once. Throws the
 * last PotError.
 */
export async function destroyPot(
  pot: PotOperations,
  potName: string,
  onRetry: (err: unknown, attempt: number) => void = () => {},
  options: DestroyOptions = {},
): Promise<DestroyOutcome> {
  const callOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  let released = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await pot.destroy(potName, { force: true }, callOptions);
    } catch (err) {
      if (!released && options.startGone?.() === true && isPotError(err) && HALF_STARTED.test(err.potErrors.join("\n"))) {
        released = true;
        const said = await releaseHalfStartedPot(pot, potName, callOptions).catch(
          (releaseErr: unknown) => `failed to release pot ${potName}: ${describeError(releaseErr)}`,
        );
        options.onRelease?.(said);
        attempt--;
        continue;
      }
      if (attempt >= DESTROY_ATTEMPTS || isPotError(err, "invalid-argument", "timed-out")) throw err;
      onRetry(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, DESTROY_RETRY_STEP_MS * attempt));
    }
  }
}

/**
 * Moves a pot that a dead `pot start` left `starting` (to `doa`) or `stopping` (to `stopped`), the transitions
 * from which pot's status machine accepts a stop, then runs `pot stop`: it takes down a jail still running and
 * unmounts what start mounted, so `pot destroy` can remove the datasets (docs/pot-behaviour.md, "Half-started
 * pots"). Returns a sentence saying what was done.
 */
export async function releaseHalfStartedPot(pot: PotOperations, potName: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const wasStarting = (await pot.setStatus(potName, "doa")) === 0;
  const wasStopping = !wasStarting && (await pot.setStatus(potName, "stopped")) === 0;
  await pot.stop(potName, options);
  const left = wasStarting ? "starting" : wasStopping ? "stopping" : "with its mounts";
  return `pot ${potName} was left ${left} by a pot start that no longer runs; stopped it (jail and mounts) before destroying it`;
}
