// One task as the driver tracks it (driver layer): who it is (ids, name, environment for exec), its stored
// state, the supervisor running it, and how it ended. Running → exited once, with any number of waiters; the
// outcome is set once and later attempts are ignored. Started and recovered tasks get the same handle.
import type { DriverState } from "./driver-state.ts";
import type { SupervisedTask } from "./ports.ts";
import type { TaskOutcome } from "./task-exit.ts";

export type TaskRunState = "running" | "exited";

/** A task as InspectTask reports it. */
export interface TaskStatus {
  taskId: string;
  taskName: string;
  state: TaskRunState;
  startedAt: Date;
  completedAt?: Date;
  outcome?: TaskOutcome;
}

export interface TaskHandleInit {
  taskName: string;
  allocId: string;
  state: DriverState;
  /** The task's environment as Nomad sent it. */
  env: Record<string, string>;
  supervised: SupervisedTask;
}

export class TaskHandle {
  readonly taskId: string;
  readonly taskName: string;
  readonly allocId: string;
  readonly state: DriverState;
  readonly startedAt: Date;
  /** Task environment, kept for exec (pot exec starts from a clean environment). */
  readonly env: Record<string, string>;
  /** The supervisor running `pot start`: its exit record settles the handle; killing it is a stop's last resort. */
  readonly supervised: SupervisedTask;
  private outcomeValue: TaskOutcome | undefined;
  private completedAtValue: Date | undefined;
  private readonly done: Promise<TaskOutcome>;
  private resolveDone!: (outcome: TaskOutcome) => void;

  constructor(init: TaskHandleInit) {
    this.taskId = init.state.taskId;
    this.taskName = init.taskName;
    this.allocId = init.allocId;
    this.state = init.state;
    this.env = init.env;
    this.supervised = init.supervised;
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

  /** Waits for the task to exit, up to `ms`; true when it did. */
  async settlesWithin(ms: number): Promise<boolean> {
    if (this.runState === "exited") return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, ms));
    });
    const settled = await Promise.race([this.done.then(() => true as const), timeout]);
    clearTimeout(timer);
    return settled;
  }

  status(): TaskStatus {
    const status: TaskStatus = { taskId: this.taskId, taskName: this.taskName, state: this.runState, startedAt: this.startedAt };
    if (this.completedAtValue) status.completedAt = this.completedAtValue;
    if (this.outcomeValue) status.outcome = this.outcomeValue;
    return status;
  }
}
