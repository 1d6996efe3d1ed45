// The floor of our stack: a Bun program with @grpc/grpc-js that serves only the gRPC health service and prints
// the go-plugin handshake line, compiled the way the shipped driver is (scripts/bench/build.ts). The benchmark
// measures it interleaved with the driver; what the driver costs beyond it is the driver's own start-up.
//
// It listens where go-plugin tells a plugin to (a fresh socket in PLUGIN_UNIX_SOCKET_DIR), answers
// grpc.health.v1.Health/Check with SERVING, and exits on SIGTERM. Nothing else: no config, no logging.
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HealthCheckResponse_ServingStatus, HealthService } from "../../src/host/gen/grpc/health/v1/health.ts";

const server = new grpc.Server();
server.addService(HealthService, {
  check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { status: HealthCheckResponse_ServingStatus.SERVING }),
  watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
} as grpc.UntypedServiceImplementation);
const socket = join(process.env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), `floor${randomBytes(6).toString("hex")}`);
server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`floor: failed to listen on ${socket}: ${err.message}\n`);
    process.exit(1);
  }
  writeSync(1, `1|2|unix|${socket}|grpc|\n`);
});
process.on("SIGTERM", () => {
  server.forceShutdown();
  try {
    unlinkSync(socket);
  } catch {
    // Already gone.
  }
  process.exit(0);
});
