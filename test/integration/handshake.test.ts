// The compiled plugin as Nomad launches it: cookie check, handshake line, go-plugin services, BasePlugin,
// the static Driver RPCs, and a clean exit on GRPCController.Shutdown.
import { afterEach, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthCheckResponse_ServingStatus } from "../../src/host/gen/grpc/health/v1/health.ts";
import { PluginType } from "../../src/plugin/gen/plugins/base/proto/base.ts";
import { DriverCapabilities_FSIsolation, type FingerprintResponse } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import pkg from "../../package.json" with { type: "json" };
import { ensureBinary, type LaunchedPlugin, launchPlugin, pluginEnv, unary } from "../support/plugin.ts";
import { waitFor } from "../support/wait.ts";

let plugin: LaunchedPlugin | undefined;
const socketDirs: string[] = [];
afterEach(() => {
  plugin?.close();
  plugin = undefined;
  for (const dir of socketDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function socketDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  socketDirs.push(dir);
  return dir;
}

describe("without the magic cookie", () => {
  test("prints a human message on stderr, nothing on stdout, exits 1", async () => {
    const binary = await ensureBinary();
    const env = pluginEnv();
    delete (env as Record<string, string | undefined>).NOMAD_PLUGIN_MAGIC_COOKIE;
    const result = Bun.spawnSync([binary], { env, stdout: "pipe", stderr: "pipe" });
    expect(result.exitCode).toBe(1);
    expect(result.stdout.toString()).toBe("");
    expect(result.stderr.toString()).toContain("not meant to be executed directly");
  });
});

describe("the working directory", () => {
  test("a .env file there does not reach the plugin: no cookie from it, so no handshake", async () => {
    // Bun-compiled executables read .env (and bunfig.toml) from the working directory unless built without it
    // (scripts/build.sh); the agent's working directory must not configure the plugin.
    const binary = await ensureBinary();
    const cwd = socketDir("cwd-");
    await Bun.write(join(cwd, ".env"), `NOMAD_PLUGIN_MAGIC_COOKIE=${pluginEnv().NOMAD_PLUGIN_MAGIC_COOKIE}\n`);
    const env = pluginEnv();
    delete (env as Record<string, string | undefined>).NOMAD_PLUGIN_MAGIC_COOKIE;
    const result = Bun.spawnSync([binary], { env, cwd, stdout: "pipe", stderr: "pipe", timeout: 10_000 });
    expect(result.stdout.toString()).toBe("");
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain("not meant to be executed directly");
  });
});

describe("handshake", () => {
  test("announces a unix socket with core 1, app 2, grpc, and nothing else on stdout", async () => {
    const dir = socketDir("sock-");
    plugin = await launchPlugin({ PLUGIN_UNIX_SOCKET_DIR: dir });
    expect(plugin.handshake).toMatch(/^1\|2\|unix\|[^|]+\|grpc\|$/);
    expect(plugin.address.startsWith(`${dir}/plugin`)).toBe(true);
    expect(Buffer.byteLength(plugin.address)).toBeLessThanOrEqual(103);
    expect(statSync(plugin.address).isSocket()).toBe(true);
    const health = await unary(plugin.health.check, plugin.health, { service: "plugin" });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(plugin.stdoutRest()).toBe("");
  });

  test("honours PLUGIN_UNIX_SOCKET_GROUP with mode 0660", async () => {
    const dir = socketDir("sock-");
    const gid = String(process.getgid?.() ?? 0);
    plugin = await launchPlugin({ PLUGIN_UNIX_SOCKET_DIR: dir, PLUGIN_UNIX_SOCKET_GROUP: gid });
    const st = statSync(plugin.address);
    expect(st.mode & 0o777).toBe(0o660);
    expect(String(st.gid)).toBe(gid);
  });

  test("falls back to loopback tcp in the port range when the socket path would be too long", async () => {
    const dir = socketDir(`${"d".repeat(60)}-`);
    const longDir = join(dir, "x".repeat(60));
    plugin = await launchPlugin({ PLUGIN_UNIX_SOCKET_DIR: longDir, PLUGIN_MIN_PORT: "23000", PLUGIN_MAX_PORT: "23100" });
    expect(plugin.network).toBe("tcp");
    const port = Number(plugin.address.split(":")[1]);
    expect(plugin.address.startsWith("127.0.0.1:")).toBe(true);
    expect(port).toBeGreaterThanOrEqual(23000);
    expect(port).toBeLessThanOrEqual(23100);
    const health = await unary(plugin.health.check, plugin.health, { service: "plugin" });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  test("unknown health service is NOT_FOUND", async () => {
    plugin = await launchPlugin();
    const err = await unary(plugin.health.check, plugin.health, { service: "nope" }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  test("ignores SIGINT and keeps serving", async () => {
    plugin = await launchPlugin();
    plugin.proc.kill("SIGINT");
    const health = await unary(plugin.health.check, plugin.health, { service: "plugin" });
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(plugin.proc.exitCode).toBeNull();
  });

  test("stdio and broker streams are accepted and held open", async () => {
    plugin = await launchPlugin();
    const stdio = plugin.stdio.streamStdio({});
    const broker = plugin.broker.startStream();
    let stdioEnded = false;
    let stdioError: grpc.ServiceError | undefined;
    stdio.on("end", () => (stdioEnded = true));
    stdio.on("error", (e: grpc.ServiceError) => (stdioError = e));
    stdio.on("data", () => {});
    broker.on("error", () => {});
    broker.on("data", () => {});
    // A unary call completing afterwards proves the streams were set up and the server is still serving them.
    await unary(plugin.base.pluginInfo, plugin.base, {});
    await unary(plugin.health.check, plugin.health, { service: "plugin" });
    expect(stdioEnded).toBe(false);
    expect(stdioError).toBeUndefined();
    broker.end();
    stdio.cancel();
  });
});

describe("BasePlugin", () => {
  test("PluginInfo: DRIVER named pot, API v0.1.0, version from package.json", async () => {
    plugin = await launchPlugin();
    const info = await unary(plugin.base.pluginInfo, plugin.base, {});
    expect(info.type).toBe(PluginType.DRIVER);
    expect(info.name).toBe("pot");
    expect(info.pluginApiVersions).toEqual(["v0.1.0"]);
    expect(info.pluginVersion).toBe(pkg.version);
  });

  test("ConfigSchema is an object spec with the plugin options", async () => {
    plugin = await launchPlugin();
    const schema = await unary(plugin.base.configSchema, plugin.base, {});
    const block = schema.spec?.block;
    expect(block?.$case).toBe("object");
    const keys = block?.$case === "object" ? Object.keys(block.object.attributes).sort() : [];
    for (const key of ["enabled", "pot_path", "state_dir", "allowed_host_paths"]) expect(keys).toContain(key);
  });

  test("SetConfig accepts empty bytes (defaults) and rejects a bad value naming the field", async () => {
    plugin = await launchPlugin();
    await unary(plugin.base.setConfig, plugin.base, { msgpackConfig: Buffer.alloc(0), nomadConfig: undefined, pluginApiVersion: "v0.1.0" });
    const { encode } = await import("@msgpack/msgpack");
    const bad = encode({
      enabled: true,
      pot_path: "relative/pot",
      state_dir: null,
      allowed_host_paths: null,
      fingerprint_period: null,
      log_level: null,
    });
    const err = await unary(plugin.base.setConfig, plugin.base, {
      msgpackConfig: Buffer.from(bad),
      nomadConfig: undefined,
      pluginApiVersion: "v0.1.0",
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toContain("pot_path");
    expect((err as grpc.ServiceError).details).toContain("relative/pot");
  });
});

describe("Driver static RPCs", () => {
  test("TaskConfigSchema holds the seed's task options", async () => {
    plugin = await launchPlugin();
    const schema = await unary(plugin.driver.taskConfigSchema, plugin.driver, {});
    const block = schema.spec?.block;
    const keys = block?.$case === "object" ? Object.keys(block.object.attributes) : [];
    for (const key of [
      "image",
      "pot",
      "tag",
      "command",
      "network_mode",
      "port_map",
      "copy",
      "mount",
      "mount_read_only",
      "args",
      "extra_hosts",
      "attributes",
    ]) {
      expect(keys).toContain(key);
    }
  });

  test("Capabilities: signals, exec, image isolation", async () => {
    plugin = await launchPlugin();
    const caps = await unary(plugin.driver.capabilities, plugin.driver, {});
    expect(caps.capabilities?.sendSignals).toBe(true);
    expect(caps.capabilities?.exec).toBe(true);
    expect(caps.capabilities?.fsIsolation).toBe(DriverCapabilities_FSIsolation.IMAGE);
  });

  test("Fingerprint sends at once and keeps the stream open", async () => {
    plugin = await launchPlugin();
    const stream = plugin.driver.fingerprint({});
    const messages: FingerprintResponse[] = [];
    let ended = false;
    stream.on("data", (m: FingerprintResponse) => messages.push(m));
    stream.on("end", () => (ended = true));
    stream.on("error", () => {});
    await waitFor("first fingerprint", () => messages.length > 0, 5_000);
    expect(messages[0]?.healthDescription.length).toBeGreaterThan(0);
    await unary(plugin.base.pluginInfo, plugin.base, {});
    expect(ended).toBe(false);
    stream.cancel();
  });
});

describe("shutdown", () => {
  test("GRPCController.Shutdown: exit 0 within 2 s and the socket is removed", async () => {
    plugin = await launchPlugin();
    const socket = plugin.address;
    await unary(plugin.controller.shutdown, plugin.controller, {});
    const started = Date.now();
    const code = await plugin.proc.exited;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});

describe("logging", () => {
  // go-plugin's log_entry.go: a JSON line counts when @message/@level/@timestamp are strings and the timestamp
  // parses with 2006-01-02T15:04:05.000000Z07:00; otherwise the whole line is re-logged raw at DEBUG.
  test("every stderr line is an hclog JSON entry go-plugin accepts", async () => {
    const launched = await launchPlugin();
    plugin = launched;
    await unary(launched.base.pluginInfo, launched.base, {});
    await unary(launched.controller.shutdown, launched.controller, {});
    await launched.proc.exited;
    const lines = await waitFor("stderr lines", () => (launched.stderrLines().length >= 2 ? launched.stderrLines() : null));
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry["@message"]).toBe("string");
      expect(["trace", "debug", "info", "warn", "error"]).toContain(entry["@level"] as string);
      expect(entry["@timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/);
      expect(entry["@module"]).toBe("pot");
    }
  });
});

describe("lifecycle RPCs before the lifecycle exists", () => {
  test("CreateNetwork is Unimplemented, never a fake success", async () => {
    plugin = await launchPlugin();
    const err = await unary(plugin.driver.createNetwork, plugin.driver, { allocId: "a", hostname: "h" }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
