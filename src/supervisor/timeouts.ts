// Every named timeout and poll interval of the supervisor layer, with its default (layer 4).

export interface SupervisorTimeouts {
  /** launch: how long the supervisor may take to write supervisor.pid before it is killed and launch fails. */
  readyMs: number;
  /** launch: how often supervisor.pid is looked for besides directory change events. */
  readyPollMs: number;
  /** attach: how often exit.json and the supervisor's liveness are checked besides directory change events. */
  attachPollMs: number;
  /**
   * attach: how often the identity probe re-runs (one `ps` per probe, unless SupervisorOptions.probe answers
   * from the shared sampler's table). kill(pid, 0) at every poll
   * already notices a supervisor that is gone; the probe is for one that stays a zombie (an init that reaps
   * late) or whose pid was reused between two polls, so it can be rare.
   */
  identityRecheckMs: number;
  /** Deadline of one `ps` run (identity probe or stats sample); the run is killed after it. */
  psMs: number;
}

export const DEFAULT_SUPERVISOR_TIMEOUTS: Readonly<SupervisorTimeouts> = Object.freeze({
  readyMs: 5_000,
  readyPollMs: 20,
  attachPollMs: 1_000,
  identityRecheckMs: 60_000,
  psMs: 5_000,
});

/** The defaults with some of them overridden. */
export function supervisorTimeouts(overrides: Partial<SupervisorTimeouts> = {}): SupervisorTimeouts {
  return { ...DEFAULT_SUPERVISOR_TIMEOUTS, ...overrides };
}
