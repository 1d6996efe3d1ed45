// Deadlines of `pot stop` and `pot destroy -F` (driver layer), derived from the pot's stop_timeout: jail(8)
// waits that long before SIGKILL, and a `pot stop` killed midway leaves the pot `stopping` until reboot
// (docs/pot-behaviour.md, "Stopping").

/** pot's stop_timeout when the job sets none (jail(8)'s stop.timeout default). */
export const DEFAULT_POT_STOP_TIMEOUT_S = 10;

/** Time pot needs around `jail -r`: exec_stop, a second per epair, pf and umount cleanup, status changes. */
export const POT_STOP_MARGIN_MS = 30_000;

/** A destroy also unmounts and destroys the ZFS datasets after the stop. */
export const POT_DESTROY_MARGIN_MS = 90_000;

export function potStopDeadlineMs(stopTimeoutS: number | undefined): number {
  return (stopTimeoutS ?? DEFAULT_POT_STOP_TIMEOUT_S) * 1000 + POT_STOP_MARGIN_MS;
}

export function potDestroyDeadlineMs(stopTimeoutS: number | undefined): number {
  return potStopDeadlineMs(stopTimeoutS) + POT_DESTROY_MARGIN_MS;
}
