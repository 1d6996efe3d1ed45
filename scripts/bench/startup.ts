// Start-up of one plugin process as Nomad drives it, for the driver and for the floor program (floor.ts).
//
// Driver: exec → handshake line → PluginInfo → ConfigSchema → SetConfig → first Fingerprint message, the calls
// Nomad's plugin loader and driver manager make first. Floor: exec → handshake line → Health.Check answered.
// Optionally the process's VmRSS a settling time after the last answer. The process is SIGKILLed afterwards.
import * as grpc from "@grpc/grpc-js";
import { performance } from "node:perf_hooks";
import { HealthClient } from "../../src/host/gen/grpc/health/v1/health.ts";
import { BasePluginClient } from "../../src/plugin/gen/plugins/base/proto/base.ts";
import { DriverClient, type FingerprintResponse } from "../../src/plugin/gen/plugins/drivers/proto/driver.ts";
import { vmRssKiB } from "./procfs.ts";

export interface StartupSample {
  /** exec → first stdout line. */
  handshakeMs: number;
  /** Driver: exec → SetConfig answered. Floor: exec → Health.Check answered. */
  configuredMs: number;
  /** Driver: exec → first Fingerprint message. Floor: same as configuredMs. */
  firstAnswerMs: number;
  /** VmRSS `settleMs` after the last answer, when asked for. */
  rssKiB?: number;
}

export type Program = { kind: "driver"; binary: string; configBytes: Buffer } | { kind: "floor"; binary: string };

const DEADLINE_MS = 30_000;

function unaryCall<Req, Res>(
  method: (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  self: unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(self, req, new grpc.Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** Launches `program` once with `env`; `settleMs` > 0 also reads its RSS that long after its last answer. */
export async function measureStartup(program: Program, env: Record<string, string>, settleMs = 0): Promise<StartupSample> {
  const began = performance.now();
  const proc = Bun.spawn([program.binary], { env, stdin: "ignore", stdout: "pipe", stderr: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), DEADLINE_MS);
  const clients: grpc.Client[] = [];
  try {
    const reader = proc.stdout.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n")) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`${program.binary} printed no handshake line (exit ${await proc.exited})`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    const handshakeMs = performance.now() - began;
    reader.releaseLock();
    const line = text.slice(0, text.indexOf("\n"));
    const [core, app, network, address] = line.split("|");
    if (core !== "1" || app !== "2" || network !== "unix" || !address) throw new Error(`unexpected handshake line: ${line}`);
    const target = `unix:${address}`;
    const creds = grpc.credentials.createInsecure();
    let configuredMs: number;
    let firstAnswerMs: number;
    if (program.kind === "floor") {
      const health = new HealthClient(target, creds);
      clients.push(health);
      await unaryCall(health.check, health, { service: "plugin" });
      configuredMs = performance.now() - began;
      firstAnswerMs = configuredMs;
    } else {
      const base = new BasePluginClient(target, creds);
      const driver = new DriverClient(target, creds);
      clients.push(base, driver);
      await unaryCall(base.pluginInfo, base, {});
      await unaryCall(base.configSchema, base, {});
      await unaryCall(base.setConfig, base, {
        msgpackConfig: program.configBytes,
        nomadConfig: { driver: { ClientMaxPort: 14512, ClientMinPort: 14000, Topology: undefined } },
        pluginApiVersion: "v0.1.0",
      });
      configuredMs = performance.now() - began;
      const stream = driver.fingerprint({});
      await new Promise<FingerprintResponse>((resolve, reject) => {
        stream.once("data", resolve);
        stream.once("error", reject);
      });
      firstAnswerMs = performance.now() - began;
      stream.cancel();
    }
    if (settleMs <= 0) return { handshakeMs, configuredMs, firstAnswerMs };
    await Bun.sleep(settleMs);
    const rssKiB = vmRssKiB(proc.pid);
    if (rssKiB === undefined) throw new Error(`${program.binary} ended before its RSS was read`);
    return { handshakeMs, configuredMs, firstAnswerMs, rssKiB };
  } finally {
    clearTimeout(timer);
    for (const client of clients) client.close();
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/**
 * Launches each program `runs` times, interleaved (driver, floor, driver, floor, …) so that load changes on the
 * machine hit both alike, after `warmups` discarded launches each (page cache).
 */
export async function compareStartups(
  programs: Record<string, Program>,
  env: Record<string, string>,
  runs: number,
  settleMs = 0,
  warmups = 2,
): Promise<Record<string, StartupSample[]>> {
  const samples: Record<string, StartupSample[]> = {};
  for (const name of Object.keys(programs)) samples[name] = [];
  for (let i = 0; i < warmups + runs; i++) {
    for (const [name, program] of Object.entries(programs)) {
      const sample = await measureStartup(program, env, i >= warmups ? settleMs : 0);
      if (i >= warmups) samples[name]?.push(sample);
    }
  }
  return samples;
}
