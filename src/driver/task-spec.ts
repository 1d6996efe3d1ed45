// What Nomad says about one task (driver layer), in driver vocabulary: the subset of Nomad's TaskConfig the
// driver reads. plugin/convert.ts fills it from the protobuf message.
export interface PortAllocation {
  label: string;
  /** Port on the host. */
  hostPort: number;
  /** Port inside the task's network (`to` in the job's port block); 0 when unset. */
  to: number;
}

export interface VolumeMount {
  hostPath: string;
  taskPath: string;
  readOnly: boolean;
}

export interface TaskResources {
  memoryMb: number;
  memoryMaxMb: number;
  /** Reserved cores, "0,2,3"; empty when none. */
  cpusetCpus: string;
  /** cpu_shares as a fraction of the node's usable compute (Nomad's PercentTicks). */
  percentTicks: number;
  ports: PortAllocation[];
}

/** The group's `network { dns { … } }` block, as Nomad sends it. */
export interface DnsSettings {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface TaskSpec {
  /** Nomad's task id "<alloc_id>/<task_name>/<invocation>". */
  taskId: string;
  taskName: string;
  allocId: string;
  /** The task's environment as Nomad computed it (in-jail paths: the driver declares image isolation). */
  env: Record<string, string>;
  /** Host path of the allocation dir; the task dir is <allocDir>/<taskName>, the shared dir <allocDir>/alloc. */
  allocDir: string;
  stdoutPath: string;
  stderrPath: string;
  /** The task's `user`; empty when the job names none. */
  user: string;
  /** The group network's DNS settings; absent when the job has no dns block. */
  dns?: DnsSettings;
  resources: TaskResources;
  mounts: VolumeMount[];
}
