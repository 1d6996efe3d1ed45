// Per-task runtime state (driver layer): running → exited, with the time stamps and the outcome, and any
// number of waiters. The outcome is set once; later attempts are ignored.
import type { DriverState } from "./driver-state.ts";
import type { TaskOutcome } from "./task-outcome.ts";

export type TaskRunState = "running" | "exited";

export class TaskHandle {
  readonly taskId: string;
  readonly taskName: string;
  readonly allocId: string;
  readonly state: DriverState;
  readonly startedAt: Date;
  /** Task environment, kept for exec (pot exec starts from a clean environment). */
  readonly env: Record<string, string>;
  private outcomeValue: TaskOutcome | undefined;
  private completedAtValue: Date | undefined;
  private readonly done: Promise<TaskOutcome>;
  private resolveDone!: (outcome: TaskOutcome) => void;

  constructor(init: { taskName: string; allocId: string; state: DriverState; env: Record<string, string> }) {
    this.taskId = init.state.taskId;
    this.taskName = init.taskName;
    this.allocId = init.allocId;
    this.state = init.state;
    this.env = init.env;
    this.startedAt = new Date(init.state.startedAt);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get runState(): TaskRunState {
    return this.outcomeValue === undefined ? "running" : "exited";
  }

  get outcome(): TaskOutcome | undefined {
    return this.outcomeValue;
  }

  get completedAt(): Date | undefined {
    return this.completedAtValue;
  }

  /** Records the exit once and releases every waiter. */
  settle(outcome: TaskOutcome, at: Date = new Date()): void {
    if (this.outcomeValue !== undefined) return;
    this.outcomeValue = outcome;
    this.completedAtValue = at;
    this.resolveDone(outcome);
  }

  /** Resolves with the outcome once the task has exited (at once if it already has). */
  wait(): Promise<TaskOutcome> {
    return this.done;
  }
}
