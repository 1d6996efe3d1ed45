// Integration harness: launches the compiled plugin exactly as Nomad's go-plugin client does and connects
// generated gRPC clients to the socket it announces.
import * as grpc from "@grpc/grpc-js";
import type { Subprocess } from "bun";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { HealthClient } from "../../src/host/gen/grpc/health/v1/health.ts";
import { GRPCBrokerClient } from "../../src/host/gen/plugin/grpc_broker.ts";
import { GRPCControllerClient } from "../../src/host/gen/plugin/grpc_controller.ts";
import { GRPCStdioClient } from "../../src/host/gen/plugin/grpc_stdio.ts";
import { BasePluginClient } from "../../src/plugin/gen/plugins/base/proto/base.ts";
import {
  DriverClient,
  type ExecTaskResponse,
  type ExecTaskStreamingResponse,
  type StartTaskResponse,
  type TaskConfig,
  type TaskHandle,
  type WaitTaskResponse,
} from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { TIMEOUT_MULTIPLIER } from "../setup.ts";
import { hostBinary } from "./pot-under-test.ts";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
export const PLUGIN_BINARY = process.env.POT_DRIVER_BIN ?? hostBinary(REPO_ROOT);
export const MAGIC_COOKIE = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";

/** Builds the linux binary once per test run when it is missing or older than the sources. */
export async function ensureBinary(): Promise<string> {
  if (!process.env.POT_DRIVER_BIN && !existsSync(PLUGIN_BINARY)) {
    const target = PLUGIN_BINARY.slice(PLUGIN_BINARY.lastIndexOf("pot-task-driver-") + "pot-task-driver-".length);
    const build = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/build.sh"), target], { stdout: "pipe", stderr: "pipe" });
    if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  }
  return PLUGIN_BINARY;
}

/** The environment go-plugin gives a plugin (plus the caller's extras). */
export function pluginEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    NOMAD_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE,
    PLUGIN_PROTOCOL_VERSIONS: "2",
    PLUGIN_MIN_PORT: "10000",
    PLUGIN_MAX_PORT: "25000",
    ...extra,
  };
}

export interface LaunchedPlugin {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  handshake: string;
  network: string;
  address: string;
  /** grpc-js target for the announced address. */
  target: string;
  base: InstanceType<typeof BasePluginClient>;
  driver: InstanceType<typeof DriverClient>;
  health: InstanceType<typeof HealthClient>;
  controller: InstanceType<typeof GRPCControllerClient>;
  stdio: InstanceType<typeof GRPCStdioClient>;
  broker: InstanceType<typeof GRPCBrokerClient>;
  stderrLines: () => string[];
  stdoutRest: () => string;
  close: () => void;
}

/** Reads the first stdout line within a deadline, keeping everything after it for later assertions. */
export async function launchPlugin(extraEnv: Record<string, string> = {}, args: string[] = []): Promise<LaunchedPlugin> {
  const binary = await ensureBinary();
  const proc = Bun.spawn([binary, ...args], { env: pluginEnv(extraEnv), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stderrChunks: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderrChunks.push(decoder.decode(chunk, { stream: true }));
  })();
  let stdoutText = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 10_000 * TIMEOUT_MULTIPLIER;
  while (!stdoutText.includes("\n")) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`no handshake line; stderr: ${stderrChunks.join("")}`);
    const result = await Promise.race([reader.read(), new Promise<"timeout">((r) => setTimeout(() => r("timeout"), remaining))]);
    if (result === "timeout") continue;
    if (result.done) throw new Error(`plugin exited before handshake; stderr: ${stderrChunks.join("")}`);
    stdoutText += decoder.decode(result.value, { stream: true });
  }
  const newline = stdoutText.indexOf("\n");
  const handshake = stdoutText.slice(0, newline);
  let rest = stdoutText.slice(newline + 1);
  void (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      rest += decoder.decode(r.value, { stream: true });
    }
  })();
  const parts = handshake.split("|");
  const network = parts[2] ?? "";
  const address = parts[3] ?? "";
  const target = network === "unix" ? `unix:${address}` : address;
  const creds = grpc.credentials.createInsecure();
  const options = { "grpc.max_receive_message_length": 64 * 1024 * 1024 };
  const clients = {
    base: new BasePluginClient(target, creds, options),
    driver: new DriverClient(target, creds, options),
    health: new HealthClient(target, creds, options),
    controller: new GRPCControllerClient(target, creds, options),
    stdio: new GRPCStdioClient(target, creds, options),
    broker: new GRPCBrokerClient(target, creds, options),
  };
  return {
    proc,
    handshake,
    network,
    address,
    target,
    ...clients,
    stderrLines: () =>
      stderrChunks
        .join("")
        .split("\n")
        .filter((l) => l.length > 0),
    stdoutRest: () => rest,
    /** Kills the plugin and removes its socket file, which a killed plugin cannot remove itself. */
    close: () => {
      for (const c of Object.values(clients)) c.close();
      if (proc.exitCode === null) proc.kill("SIGKILL");
      if (network === "unix") rmSync(address, { force: true });
    },
  };
}

/** Promisified unary call on a generated client method. */
export function unary<Req, Res>(
  fn: (
    req: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    cb: (err: grpc.ServiceError | null, res: Res) => void,
  ) => unknown,
  client: object,
  request: Req,
  timeoutMs = 10_000,
): Promise<Res> {
  return new Promise((resolvePromise, reject) => {
    fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs * TIMEOUT_MULTIPLIER }, (err, res) => {
      if (err) reject(err);
      else resolvePromise(res);
    });
  });
}

export interface ExecStream {
  call: ReturnType<LaunchedPlugin["driver"]["execTaskStreaming"]>;
  /** The session's stdout so far. */
  stdout: () => string;
  /** The message that said the command exited, once it came. */
  exited: () => ExecTaskStreamingResponse | undefined;
}

/** Opens an ExecTaskStreaming session (`nomad alloc exec`) that collects its stdout and its exit message. */
export function openExecStream(plugin: LaunchedPlugin): ExecStream {
  const call = plugin.driver.execTaskStreaming();
  let stdout = "";
  let exited: ExecTaskStreamingResponse | undefined;
  call.on("data", (m: ExecTaskStreamingResponse) => {
    if (m.stdout?.data) stdout += Buffer.from(m.stdout.data).toString();
    if (m.exited) exited = m;
  });
  call.on("error", () => {});
  return { call, stdout: () => stdout, exited: () => exited };
}

/** What the task RPCs need of a task: Nomad's TaskConfig. */
export interface WithTaskConfig {
  config: TaskConfig;
}

export function startTask(plugin: LaunchedPlugin, task: WithTaskConfig, timeoutMs = 60_000): Promise<StartTaskResponse> {
  return unary(plugin.driver.startTask, plugin.driver, { task: task.config }, timeoutMs);
}

/** WaitTask: answers once the task has exited, or fails at the call's deadline. */
export function waitTask(plugin: LaunchedPlugin, task: WithTaskConfig, timeoutMs = 30_000): Promise<WaitTaskResponse> {
  return unary(plugin.driver.waitTask, plugin.driver, { taskId: task.config.id }, timeoutMs);
}

/** StopTask with the job's kill_signal ("" leaves it to the driver) and kill_timeout in seconds. */
export function stopTask(plugin: LaunchedPlugin, task: WithTaskConfig, signal = "", killTimeoutS = 5, timeoutMs = 120_000) {
  return unary(
    plugin.driver.stopTask,
    plugin.driver,
    { taskId: task.config.id, timeout: { seconds: BigInt(killTimeoutS), nanos: 0 }, signal },
    timeoutMs,
  );
}

/** DestroyTask with force, as Nomad's task runner calls it; a task id names a task that may not exist. */
export function destroyTask(plugin: LaunchedPlugin, task: WithTaskConfig | string, timeoutMs = 90_000) {
  const taskId = typeof task === "string" ? task : task.config.id;
  return unary(plugin.driver.destroyTask, plugin.driver, { taskId, force: true }, timeoutMs);
}

/** ExecTask (`nomad alloc exec` without a terminal): runs `command` in the task, for up to 10 s. */
export function execTask(plugin: LaunchedPlugin, task: WithTaskConfig, command: string[]): Promise<ExecTaskResponse> {
  return unary(plugin.driver.execTask, plugin.driver, { taskId: task.config.id, command, timeout: { seconds: 10n, nanos: 0 } });
}

/** The handle a StartTask call returned; the test fails here when the driver sent none. */
export function startedHandle(started: StartTaskResponse): TaskHandle & { config: TaskConfig } {
  const { handle } = started;
  if (handle?.config === undefined) throw new Error(`StartTask returned no handle with a task config: ${JSON.stringify(started)}`);
  return { ...handle, config: handle.config };
}

/** The handle Nomad passes to RecoverTask after an agent restart: the driver config is gone. */
export function handleAfterAgentRestart(started: StartTaskResponse): TaskHandle {
  const handle = startedHandle(started);
  return { ...handle, config: { ...handle.config, msgpackDriverConfig: Buffer.alloc(0) } };
}

/** The driver's own state (JSON) in a StartTask handle. */
export function startedDriverState<T>(started: StartTaskResponse): T {
  return JSON.parse(Buffer.from(startedHandle(started).driverState).toString()) as T;
}
