// Domain ⇄ protobuf conversion (plugin layer): the only place driver types meet generated message types.
import type { DriverCapabilities } from "../driver/capabilities.ts";
import type { AttributeValue, Fingerprint } from "../driver/fingerprint.ts";
import {
  CPUUsage_Fields,
  type DriverTaskEvent,
  type ExecTaskResponse,
  type ExitResult,
  type InspectTaskResponse,
  MemoryUsage_Fields,
  type NetworkOverride,
  type RecoverTaskRequest,
  StartTaskResponse_Result,
  type StartTaskResponse,
  TaskConfig,
  TaskState,
  TaskStatsResponse,
  type WaitTaskResponse,
  DriverCapabilities_FSIsolation,
  DriverCapabilities_MountConfigs,
  type DriverCapabilities as ProtoCapabilities,
  type FingerprintResponse,
  FingerprintResponse_HealthState,
  NetworkIsolationSpec_NetworkIsolationMode,
} from "./gen/plugins/drivers/proto/driver.ts";
import type { Attribute } from "./gen/plugins/shared/structs/proto/attribute.ts";
import type { ExecOutput, StartedTask } from "../driver/driver.ts";
import type { TaskStatus as DriverTaskStatus } from "../driver/task-handle.ts";
import type { TaskEvent } from "../driver/events.ts";
import type { ProcessUsage } from "../driver/ports.ts";
import type { TaskOutcome } from "../driver/task-exit.ts";
import type { TaskSpec } from "../driver/task-spec.ts";
import type { Duration } from "./gen/google/protobuf/duration.ts";
import type { Timestamp } from "./gen/google/protobuf/timestamp.ts";

const FS_ISOLATION: Record<DriverCapabilities["fsIsolation"], DriverCapabilities_FSIsolation> = {
  none: DriverCapabilities_FSIsolation.NONE,
  chroot: DriverCapabilities_FSIsolation.CHROOT,
  image: DriverCapabilities_FSIsolation.IMAGE,
};

const NETWORK_MODE: Record<DriverCapabilities["networkIsolationModes"][number], NetworkIsolationSpec_NetworkIsolationMode> = {
  host: NetworkIsolationSpec_NetworkIsolationMode.HOST,
  group: NetworkIsolationSpec_NetworkIsolationMode.GROUP,
  task: NetworkIsolationSpec_NetworkIsolationMode.TASK,
  none: NetworkIsolationSpec_NetworkIsolationMode.NONE,
};

export function capabilitiesToProto(caps: DriverCapabilities): ProtoCapabilities {
  return {
    sendSignals: caps.sendSignals,
    exec: caps.exec,
    fsIsolation: FS_ISOLATION[caps.fsIsolation],
    networkIsolationModes: caps.networkIsolationModes.map((m) => NETWORK_MODE[m]),
    mustCreateNetwork: caps.mustCreateNetwork,
    mountConfigs: caps.mountConfigs === "none" ? DriverCapabilities_MountConfigs.NO_MOUNTS : DriverCapabilities_MountConfigs.ANY_MOUNTS,
    disableLogCollection: caps.disableLogCollection,
    dynamicWorkloadUsers: caps.dynamicWorkloadUsers,
  };
}

const HEALTH: Record<Fingerprint["health"], FingerprintResponse_HealthState> = {
  undetected: FingerprintResponse_HealthState.UNDETECTED,
  unhealthy: FingerprintResponse_HealthState.UNHEALTHY,
  healthy: FingerprintResponse_HealthState.HEALTHY,
};

export function attributeToProto(value: AttributeValue): Attribute {
  switch (typeof value) {
    case "string":
      return { value: { $case: "stringVal", stringVal: value }, unit: "" };
    case "boolean":
      return { value: { $case: "boolVal", boolVal: value }, unit: "" };
    case "bigint":
      return { value: { $case: "intVal", intVal: value }, unit: "" };
    default:
      return Number.isInteger(value)
        ? { value: { $case: "intVal", intVal: BigInt(value) }, unit: "" }
        : { value: { $case: "floatVal", floatVal: value }, unit: "" };
  }
}

export function fingerprintToProto(fp: Fingerprint): FingerprintResponse {
  const attributes: Record<string, Attribute> = {};
  // Sorted so an unchanged fingerprint encodes identically every period.
  for (const key of Object.keys(fp.attributes).sort()) {
    const value = fp.attributes[key];
    if (value !== undefined) attributes[key] = attributeToProto(value);
  }
  return { attributes, health: HEALTH[fp.health], healthDescription: fp.description, err: "" };
}

// ---------------------------------------------------------------------------------------------------------
// Tasks

/** Nomad's TaskConfig → the driver's TaskSpec (only what the driver reads). */
export function taskSpecFromProto(config: TaskConfig): TaskSpec {
  const resources = config.resources;
  const allocated = resources?.allocatedResources;
  const linux = resources?.linuxResources;
  return {
    taskId: config.id,
    taskName: config.name,
    allocId: config.allocId,
    env: { ...config.env },
    allocDir: config.allocDir,
    stdoutPath: config.stdoutPath,
    stderrPath: config.stderrPath,
    user: config.user,
    ...(config.dns
      ? { dns: { servers: [...config.dns.servers], searches: [...config.dns.searches], options: [...config.dns.options] } }
      : {}),
    resources: {
      memoryMb: Number(allocated?.memory?.memoryMb ?? 0n),
      memoryMaxMb: Number(allocated?.memory?.memoryMaxMb ?? 0n),
      cpusetCpus: linux?.cpusetCpus ?? "",
      percentTicks: linux?.PercentTicks ?? 0,
      ports: (resources?.ports ?? []).map((p) => ({ label: p.label, hostPort: p.value, to: p.to })),
    },
    mounts: config.mounts.map((m) => ({ hostPath: m.hostPath, taskPath: m.taskPath, readOnly: m.readonly })),
  };
}

/**
 * What RecoverTask needs from Nomad's request: the task as far as the stored handle tells it (after an agent
 * restart its config has no driver config, and the request's task_id is empty: docs/protocol.md §8), and the
 * handle's version and driver state.
 */
export function recoverRequestFromProto(request: RecoverTaskRequest): {
  task: TaskSpec;
  handleVersion: number;
  driverState: Uint8Array;
} {
  const handle = request.handle;
  const task = taskSpecFromProto(handle?.config ?? TaskConfig.fromPartial({}));
  if (request.taskId !== "" && task.taskId === "") task.taskId = request.taskId;
  return { task, handleVersion: handle?.version ?? 0, driverState: handle?.driverState ?? new Uint8Array() };
}

/** StartTask's answer: the handle echoes the TaskConfig Nomad sent, with our driver state (docs/protocol.md §7.2). */
export function startResponseToProto(config: TaskConfig, started: StartedTask): StartTaskResponse {
  return {
    result: StartTaskResponse_Result.SUCCESS,
    driverErrorMsg: "",
    handle: { version: started.handleVersion, config, state: TaskState.RUNNING, driverState: Buffer.from(started.driverState) },
    networkOverride: networkOverrideToProto(started.network),
  };
}

export function execResponseToProto(out: ExecOutput): ExecTaskResponse {
  return {
    stdout: Buffer.from(out.stdout),
    stderr: Buffer.from(out.stderr),
    result: { exitCode: out.exitCode, signal: out.signal, oomKilled: false },
  };
}

/** Go's zero time.Time, which Nomad uses for "not completed" (docs/protocol.md §9, trap 14). */
const GO_ZERO_TIME: Timestamp = { seconds: -62135596800n, nanos: 0 };

export function timestampFromDate(date: Date | undefined): Timestamp {
  if (!date) return GO_ZERO_TIME;
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function durationToMs(duration: Duration | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1_000_000);
}

export function exitResultToProto(outcome: TaskOutcome | undefined): ExitResult {
  if (!outcome || outcome.kind === "unknown") return { exitCode: 0, signal: 0, oomKilled: false };
  return { exitCode: outcome.exitCode, signal: outcome.signal, oomKilled: outcome.oomKilled };
}

export function waitResponseFromOutcome(outcome: TaskOutcome): WaitTaskResponse {
  if (outcome.kind === "unknown") {
    // Nomad records a non-empty err as a failed exit with that message; the exit code is meaningless then.
    return { result: { exitCode: 0, signal: 0, oomKilled: false }, err: `exit status unknown: ${outcome.reason}` };
  }
  return { result: exitResultToProto(outcome), err: "" };
}

const TASK_STATE: Record<DriverTaskStatus["state"], TaskState> = { running: TaskState.RUNNING, exited: TaskState.EXITED };

export function inspectResponseFromStatus(status: DriverTaskStatus): InspectTaskResponse {
  return {
    task: {
      id: status.taskId,
      name: status.taskName,
      state: TASK_STATE[status.state],
      startedAt: timestampFromDate(status.startedAt),
      completedAt: timestampFromDate(status.completedAt),
      result: exitResultToProto(status.outcome),
    },
    driver: { attributes: {} },
    networkOverride: undefined,
  };
}

export function networkOverrideToProto(
  network: { portMap: Record<string, number>; address: string } | undefined,
): NetworkOverride | undefined {
  if (!network) return undefined;
  return { portMap: { ...network.portMap }, addr: network.address, autoAdvertise: true };
}

export function eventToProto(event: TaskEvent): DriverTaskEvent {
  return {
    taskId: event.taskId,
    allocId: event.allocId,
    taskName: event.taskName,
    timestamp: timestampFromDate(event.timestamp),
    message: event.message,
    annotations: { ...event.annotations },
  };
}

/**
 * One stats sample as Nomad wants it: timestamp and agg_resource_usage always set (a nil usage crashes the
 * agent). `mhzPerCore` turns CPU percent into Nomad's "ticks" (MHz consumed).
 */
export function taskStatsToProto(taskId: string, usage: ProcessUsage | undefined, at: Date, mhzPerCore: number): TaskStatsResponse {
  const measuredCpu = usage ? [CPUUsage_Fields.PERCENT, CPUUsage_Fields.TOTAL_TICKS] : [];
  const measuredMemory = usage ? [MemoryUsage_Fields.RSS] : [];
  const percent = usage?.cpuPercent ?? 0;
  const rss = BigInt(Math.max(0, Math.round(usage?.rssBytes ?? 0)));
  // fromPartial fills what the driver does not measure with protobuf's zero values.
  return TaskStatsResponse.fromPartial({
    stats: {
      id: taskId,
      timestamp: timestampFromDate(at),
      aggResourceUsage: {
        cpu: { totalTicks: (percent / 100) * mhzPerCore, percent, measuredFields: measuredCpu },
        memory: { rss, measuredFields: measuredMemory },
      },
    },
  });
}
