// Forced pot destroy with a few retries (driver layer). Nomad calls DestroyTask once and ignores its error
// (docs/protocol.md §7.2), so one transient `pot destroy` failure (a busy dataset, a concurrent stop) would leak
// the pot and the task's bundle for good; a failed start's cleanup has no second chance either.
import { isPotError } from "../pot/errors";
import type { DestroyOutcome, PotCli } from "../pot/pot-cli";

/** Attempts in all, and the pause before the n-th retry (n × this). */
export const DESTROY_ATTEMPTS = 3;
const DESTROY_RETRY_STEP_MS = 1_000;

/**
 * `pot destroy -F -p <pot>`, retried after failures a retry can cure. A rejected argument or a destroy that ran
 * into its own deadline is not retried. Throws the last PotError.
 */
export async function destroyPot(
  pot: PotCli,
  potName: string,
  onRetry: (err: unknown, attempt: number) => void = () => {},
  options: { timeoutMs?: number } = {},
): Promise<DestroyOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pot.destroy(potName, { force: true }, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    } catch (err) {
      if (attempt >= DESTROY_ATTEMPTS || isPotError(err, "bad-argument", "timed-out")) throw err;
      onRetry(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, DESTROY_RETRY_STEP_MS * attempt));
    }
  }
}
