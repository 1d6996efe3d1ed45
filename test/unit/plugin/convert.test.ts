// Tests for src/plugin/convert.ts: every domain ⇄ protobuf mapping, field by field, with Nomad's conventions
// (Go's zero time for "not completed", an ExitResult and usage always present, the handle echoing the config).
import { describe, expect, test } from "bun:test";
import { CAPABILITIES } from "../../../src/driver/capabilities.ts";
import type { TaskStatus } from "../../../src/driver/task-handle.ts";
import {
  attributeToProto,
  capabilitiesToProto,
  durationToMs,
  eventToProto,
  execResponseToProto,
  exitResultToProto,
  fingerprintToProto,
  inspectResponseFromStatus,
  networkOverrideToProto,
  recoverRequestFromProto,
  startResponseToProto,
  taskSpecFromProto,
  taskStatsToProto,
  timestampFromDate,
  waitResponseFromOutcome,
} from "../../../src/plugin/convert.ts";
import {
  CPUUsage_Fields,
  DriverCapabilities_FSIsolation,
  DriverCapabilities_MountConfigs,
  FingerprintResponse_HealthState,
  MemoryUsage_Fields,
  NetworkIsolationSpec_NetworkIsolationMode,
  StartTaskResponse_Result,
  TaskConfig,
  TaskState,
} from "../../../src/plugin/gen/plugins/drivers/proto/driver.ts";

const GO_ZERO_TIME = { seconds: -62135596800n, nanos: 0 };
const TASK_ID = "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11/web/a1b2c3d4";

function nomadTaskConfig(overrides: Partial<TaskConfig> = {}): TaskConfig {
  return TaskConfig.fromPartial({
    id: TASK_ID,
    name: "web",
    allocId: "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11",
    jobName: "job",
    taskGroupName: "group",
    namespace: "default",
    env: { NOMAD_TASK_DIR: "/local", GREETING: "hi" },
    allocDir: "/var/nomad/alloc/5b0c6a32",
    stdoutPath: "/var/nomad/alloc/5b0c6a32/alloc/logs/.web.stdout.fifo",
    stderrPath: "/var/nomad/alloc/5b0c6a32/alloc/logs/.web.stderr.fifo",
    user: "www",
    msgpackDriverConfig: Buffer.from([0x80]),
    resources: {
      allocatedResources: { cpu: { cpuShares: 500n }, memory: { memoryMb: 256n, memoryMaxMb: 512n }, networks: [] },
      linuxResources: { cpusetCpus: "0,2", PercentTicks: 0.125, memoryLimitBytes: 256n * 1024n * 1024n },
      ports: [
        { label: "http", value: 23456, to: 80, hostIp: "10.0.0.1" },
        { label: "metrics", value: 23457, to: 0, hostIp: "10.0.0.1" },
      ],
    },
    mounts: [
      { hostPath: "/srv/data", taskPath: "/data", readonly: true, propagationMode: "private" },
      { hostPath: "/srv/cache", taskPath: "/cache", readonly: false },
    ],
    ...overrides,
  });
}

describe("capabilities and fingerprint", () => {
  test("the driver's capabilities map to Nomad's enums", () => {
    expect(capabilitiesToProto(CAPABILITIES)).toEqual({
      sendSignals: true,
      exec: true,
      fsIsolation: DriverCapabilities_FSIsolation.IMAGE,
      networkIsolationModes: [NetworkIsolationSpec_NetworkIsolationMode.HOST],
      mustCreateNetwork: false,
      mountConfigs: DriverCapabilities_MountConfigs.ANY_MOUNTS,
      disableLogCollection: false,
      dynamicWorkloadUsers: false,
    });
    const other = capabilitiesToProto({
      ...CAPABILITIES,
      fsIsolation: "chroot",
      networkIsolationModes: ["group", "task", "none"],
      mountConfigs: "none",
    });
    expect(other.fsIsolation).toBe(DriverCapabilities_FSIsolation.CHROOT);
    expect(other.networkIsolationModes).toEqual([
      NetworkIsolationSpec_NetworkIsolationMode.GROUP,
      NetworkIsolationSpec_NetworkIsolationMode.TASK,
      NetworkIsolationSpec_NetworkIsolationMode.NONE,
    ]);
    expect(other.mountConfigs).toBe(DriverCapabilities_MountConfigs.NO_MOUNTS);
  });

  test("attribute values keep their type: whole numbers are ints, others floats", () => {
    expect(attributeToProto("0.16.1")).toEqual({ value: { $case: "stringVal", stringVal: "0.16.1" }, unit: "" });
    expect(attributeToProto(true)).toEqual({ value: { $case: "boolVal", boolVal: true }, unit: "" });
    expect(attributeToProto(7n)).toEqual({ value: { $case: "intVal", intVal: 7n }, unit: "" });
    expect(attributeToProto(3)).toEqual({ value: { $case: "intVal", intVal: 3n }, unit: "" });
    expect(attributeToProto(1.5)).toEqual({ value: { $case: "floatVal", floatVal: 1.5 }, unit: "" });
  });

  test("a fingerprint carries health, description and its attributes in sorted order", () => {
    const proto = fingerprintToProto({
      health: "unhealthy",
      description: "pot 0.15.4 is older than 0.16.0",
      attributes: { "driver.pot.version": "0.15.4", "driver.pot": true },
    });
    expect(proto.health).toBe(FingerprintResponse_HealthState.UNHEALTHY);
    expect(proto.healthDescription).toBe("pot 0.15.4 is older than 0.16.0");
    expect(proto.err).toBe("");
    expect(Object.keys(proto.attributes)).toEqual(["driver.pot", "driver.pot.version"]);
    expect(proto.attributes["driver.pot"]).toEqual({ value: { $case: "boolVal", boolVal: true }, unit: "" });
    expect(fingerprintToProto({ health: "undetected", description: "disabled", attributes: {} }).health).toBe(
      FingerprintResponse_HealthState.UNDETECTED,
    );
    expect(fingerprintToProto({ health: "healthy", description: "Healthy", attributes: {} }).health).toBe(
      FingerprintResponse_HealthState.HEALTHY,
    );
  });
});

describe("Nomad's task → TaskSpec", () => {
  test("every field the driver reads is taken over, with resources, ports, mounts and DNS", () => {
    const config = nomadTaskConfig({ dns: { servers: ["10.0.0.53"], searches: ["corp"], options: ["ndots:2"] } });
    expect(taskSpecFromProto(config)).toEqual({
      taskId: TASK_ID,
      taskName: "web",
      allocId: "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11",
      env: { NOMAD_TASK_DIR: "/local", GREETING: "hi" },
      allocDir: "/var/nomad/alloc/5b0c6a32",
      stdoutPath: "/var/nomad/alloc/5b0c6a32/alloc/logs/.web.stdout.fifo",
      stderrPath: "/var/nomad/alloc/5b0c6a32/alloc/logs/.web.stderr.fifo",
      user: "www",
      dns: { servers: ["10.0.0.53"], searches: ["corp"], options: ["ndots:2"] },
      resources: {
        memoryMb: 256,
        memoryMaxMb: 512,
        cpusetCpus: "0,2",
        percentTicks: 0.125,
        ports: [
          { label: "http", hostPort: 23456, to: 80 },
          { label: "metrics", hostPort: 23457, to: 0 },
        ],
      },
      mounts: [
        { hostPath: "/srv/data", taskPath: "/data", readOnly: true },
        { hostPath: "/srv/cache", taskPath: "/cache", readOnly: false },
      ],
    });
  });

  test("no dns block means no dns settings; no resources means zeros; the env is a copy", () => {
    const config = nomadTaskConfig({ resources: undefined });
    const spec = taskSpecFromProto(config);
    expect("dns" in spec).toBe(false);
    expect(spec.resources).toEqual({ memoryMb: 0, memoryMaxMb: 0, cpusetCpus: "", percentTicks: 0, ports: [] });
    spec.env.INJECTED = "x";
    expect(config.env.INJECTED).toBeUndefined();
  });

  test("RecoverTask: the task from the stored handle, its id from the request when the config has none", () => {
    const stored = recoverRequestFromProto({
      taskId: "",
      handle: { version: 1, config: nomadTaskConfig(), state: TaskState.RUNNING, driverState: Buffer.from("{}") },
    });
    expect(stored.task.taskId).toBe(TASK_ID);
    expect(stored.handleVersion).toBe(1);
    expect(Buffer.from(stored.driverState).toString()).toBe("{}");

    const bare = recoverRequestFromProto({ taskId: TASK_ID, handle: undefined });
    expect(bare.task.taskId).toBe(TASK_ID);
    expect(bare.task.taskName).toBe("");
    expect(bare.handleVersion).toBe(0);
    expect(bare.driverState.length).toBe(0);

    const named = recoverRequestFromProto({
      taskId: "other/task/id",
      handle: { version: 1, config: nomadTaskConfig(), state: TaskState.RUNNING, driverState: Buffer.alloc(0) },
    });
    expect(named.task.taskId).toBe(TASK_ID);
  });
});

describe("answers about tasks", () => {
  test("StartTask's handle echoes Nomad's config with our version, state and driver state", () => {
    const config = nomadTaskConfig();
    const state = new TextEncoder().encode('{"v":1}');
    const response = startResponseToProto(config, {
      handleVersion: 1,
      driverState: state,
      network: { portMap: { http: 80 }, address: "10.192.0.5" },
    });
    expect(response.result).toBe(StartTaskResponse_Result.SUCCESS);
    expect(response.driverErrorMsg).toBe("");
    expect(response.handle?.config).toBe(config);
    expect(response.handle?.version).toBe(1);
    expect(response.handle?.state).toBe(TaskState.RUNNING);
    expect(Buffer.from(response.handle?.driverState ?? []).toString()).toBe('{"v":1}');
    expect(response.networkOverride).toEqual({ portMap: { http: 80 }, addr: "10.192.0.5", autoAdvertise: true });
    expect(startResponseToProto(config, { handleVersion: 1, driverState: state }).networkOverride).toBeUndefined();
  });

  test("a network override copies the port map", () => {
    const portMap = { http: 80 };
    const override = networkOverrideToProto({ portMap, address: "10.0.0.9" });
    portMap.http = 81;
    expect(override?.portMap).toEqual({ http: 80 });
    expect(networkOverrideToProto(undefined)).toBeUndefined();
  });

  test("an exit: code and signal as recorded; an unknown exit is WaitTask's err, never a plain exit 0", () => {
    const exited = { kind: "exited", exitCode: 3, signal: 0, oomKilled: false } as const;
    expect(waitResponseFromOutcome(exited)).toEqual({ result: { exitCode: 3, signal: 0, oomKilled: false }, err: "" });
    expect(waitResponseFromOutcome({ kind: "exited", exitCode: 137, signal: 9, oomKilled: false }).result).toEqual({
      exitCode: 137,
      signal: 9,
      oomKilled: false,
    });
    const unknown = waitResponseFromOutcome({ kind: "unknown", reason: "supervisor (pid 42) is gone" });
    expect(unknown.err).toBe("exit status unknown: supervisor (pid 42) is gone");
    expect(unknown.result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    // An ExitResult is always present (nil panics the agent).
    expect(exitResultToProto(undefined)).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
  });

  test("InspectTask: a running task's completion is Go's zero time; an exited one has its time and result", () => {
    const startedAt = new Date("2026-01-02T03:04:05.678Z");
    const running: TaskStatus = { taskId: TASK_ID, taskName: "web", state: "running", startedAt };
    const answer = inspectResponseFromStatus(running);
    expect(answer.task?.id).toBe(TASK_ID);
    expect(answer.task?.name).toBe("web");
    expect(answer.task?.state).toBe(TaskState.RUNNING);
    expect(answer.task?.startedAt).toEqual({ seconds: 1767323045n, nanos: 678_000_000 });
    expect(answer.task?.completedAt).toEqual(GO_ZERO_TIME);
    expect(answer.task?.result).toEqual({ exitCode: 0, signal: 0, oomKilled: false });
    expect(answer.driver).toEqual({ attributes: {} });

    const completedAt = new Date("2026-01-02T03:05:00.000Z");
    const exited = inspectResponseFromStatus({
      ...running,
      state: "exited",
      completedAt,
      outcome: { kind: "exited", exitCode: 2, signal: 0, oomKilled: false },
    });
    expect(exited.task?.state).toBe(TaskState.EXITED);
    expect(exited.task?.completedAt).toEqual({ seconds: 1767323100n, nanos: 0 });
    expect(exited.task?.result?.exitCode).toBe(2);
  });

  test("ExecTask: output bytes and the command's own exit", () => {
    const response = execResponseToProto({
      stdout: new TextEncoder().encode("out"),
      stderr: new TextEncoder().encode("err"),
      exitCode: 130,
      signal: 2,
    });
    expect(Buffer.from(response.stdout).toString()).toBe("out");
    expect(Buffer.from(response.stderr).toString()).toBe("err");
    expect(response.result).toEqual({ exitCode: 130, signal: 2, oomKilled: false });
  });

  test("a task event keeps its routing fields and copies its annotations", () => {
    const annotations = { image: "web_1.0.xz" };
    const proto = eventToProto({
      taskId: TASK_ID,
      allocId: "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11",
      taskName: "web",
      timestamp: new Date(1_500),
      message: "Preparing pot",
      annotations,
    });
    annotations.image = "changed";
    expect(proto).toEqual({
      taskId: TASK_ID,
      allocId: "5b0c6a32-1f0e-4c3b-9d43-2f1c0a9e7b11",
      taskName: "web",
      timestamp: { seconds: 1n, nanos: 500_000_000 },
      message: "Preparing pot",
      annotations: { image: "web_1.0.xz" },
    });
  });
});

describe("stats", () => {
  // Every field Nomad reads is set; the ones the driver does not measure are zero and not listed as measured.
  const ZERO_CPU = { systemMode: 0, userMode: 0, throttledPeriods: 0n, throttledTime: 0n };
  const ZERO_MEMORY = { cache: 0n, maxUsage: 0n, kernelUsage: 0n, kernelMaxUsage: 0n, usage: 0n, swap: 0n };

  test("a sample: percent, ticks from the core speed, RSS in bytes, and the fields it measured; the rest zero", () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    expect(taskStatsToProto(TASK_ID, { rssBytes: 1_048_576.4, cpuSeconds: 12, cpuPercent: 150 }, at, 2000)).toStrictEqual({
      stats: {
        id: TASK_ID,
        timestamp: { seconds: 1767323045n, nanos: 678_000_000 },
        aggResourceUsage: {
          cpu: { ...ZERO_CPU, totalTicks: 3000, percent: 150, measuredFields: [CPUUsage_Fields.PERCENT, CPUUsage_Fields.TOTAL_TICKS] },
          memory: { ...ZERO_MEMORY, rss: 1_048_576n, measuredFields: [MemoryUsage_Fields.RSS] },
        },
        resourceUsageByPid: {},
      },
    });
  });

  test("no sample (no process yet): zeros, nothing claimed as measured, but usage present (a nil usage crashes the agent)", () => {
    const { stats } = taskStatsToProto(TASK_ID, undefined, new Date(0), 2000);
    expect(stats?.aggResourceUsage).toStrictEqual({
      cpu: { ...ZERO_CPU, totalTicks: 0, percent: 0, measuredFields: [] },
      memory: { ...ZERO_MEMORY, rss: 0n, measuredFields: [] },
    });
  });
});

describe("time", () => {
  test("timestamps split milliseconds into seconds and nanos, before the epoch too; none is Go's zero time", () => {
    expect(timestampFromDate(undefined)).toEqual(GO_ZERO_TIME);
    expect(timestampFromDate(new Date(1_234))).toEqual({ seconds: 1n, nanos: 234_000_000 });
    expect(timestampFromDate(new Date(-1))).toEqual({ seconds: -1n, nanos: 999_000_000 });
  });

  test("durations in milliseconds; none is 0", () => {
    expect(durationToMs(undefined)).toBe(0);
    expect(durationToMs({ seconds: 2n, nanos: 500_000_000 })).toBe(2500);
    expect(durationToMs({ seconds: 0n, nanos: 999_999 })).toBe(0);
  });
});
