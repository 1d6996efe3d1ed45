// The driver's view of one Nomad task (TaskSpec) for unit tests: one allocation, one invocation, the log FIFOs
// where Nomad puts them (<allocDir>/alloc/logs/.<task>.std{out,err}.fifo). A test overrides what it is about;
// the task id and the FIFO paths follow an overridden task name and alloc dir.
import type { TaskResources, TaskSpec } from "../../src/driver/task-spec.ts";

export const TASK_ALLOC_ID = "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11";
export const TASK_INVOCATION = "a1b2c3d4";

/** The seed job's resources: 256 MB, 500 MHz (a tenth of the node), its `http` port on host port 23456. */
export const SEED_RESOURCES: TaskResources = {
  memoryMb: 256,
  memoryMaxMb: 0,
  cpusetCpus: "",
  percentTicks: 0.1,
  ports: [{ label: "http", hostPort: 23456, to: 0 }],
};

export function taskSpec(overrides: Partial<TaskSpec> = {}): TaskSpec {
  const taskName = overrides.taskName ?? "web";
  const allocDir = overrides.allocDir ?? "/var/nomad/alloc/5b0c6a32";
  return {
    taskId: `${TASK_ALLOC_ID}/${taskName}/${TASK_INVOCATION}`,
    taskName,
    allocId: TASK_ALLOC_ID,
    env: {},
    allocDir,
    stdoutPath: `${allocDir}/alloc/logs/.${taskName}.stdout.fifo`,
    stderrPath: `${allocDir}/alloc/logs/.${taskName}.stderr.fifo`,
    user: "",
    resources: SEED_RESOURCES,
    mounts: [],
    ...overrides,
  };
}
