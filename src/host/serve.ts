// Serving the plugin (go-plugin host): listener, gRPC server, handshake line, signals and shutdown.
//
// Contract (go-plugin server.go as Nomad drives it): listen first, then print exactly one handshake line on
// stdout and never write to stdout again; ignore SIGINT (an operator's Ctrl-C reaches the whole process
// group of a foreground agent); exit 0 promptly on GRPCController.Shutdown or SIGTERM, removing the socket.
import * as grpc from "@grpc/grpc-js";
import { chmodSync, chownSync, existsSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { log } from "../log/logger.ts";
import { addGoPluginServices } from "./go-plugin-services.ts";
import { APP_PROTOCOL_VERSION, appProtocolOffered, handshakeLine, type ListenAddress, tcpPortRange, unixSocketPath } from "./handshake.ts";

/** Keeps long-lived streams (WaitTask, Fingerprint, TaskStats…) open indefinitely and allows big messages. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  "grpc.max_receive_message_length": 64 * 1024 * 1024,
  "grpc.max_send_message_length": 64 * 1024 * 1024,
  "grpc.max_concurrent_streams": 0x7fffffff,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 1000,
};

export interface ServeOptions {
  env: NodeJS.ProcessEnv;
  /** Adds the application's services (Nomad's BasePlugin and Driver; src/app/ registers them). */
  register: (server: grpc.Server) => void;
  /** Runs before the process exits (stop background work; tasks themselves keep running). */
  beforeExit?: () => Promise<void> | void;
}

export interface RunningPlugin {
  address: ListenAddress;
  /** Stops serving, removes the socket and exits the process with code 0. */
  shutdown: (reason: string) => void;
}

export async function serve(options: ServeOptions): Promise<RunningPlugin> {
  const { env } = options;
  if (!appProtocolOffered(env)) {
    log.warn({ offered: env.PLUGIN_PROTOCOL_VERSIONS ?? "" }, "host does not offer app protocol 2");
  }
  let shuttingDown = false;
  const server = new grpc.Server(SERVER_OPTIONS);
  let address: ListenAddress | undefined;

  const shutdown = (reason: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ reason }, "plugin shutting down");
    // Hard stop, as go-plugin's server does: in-flight streams end, the host has asked us to go.
    server.forceShutdown();
    if (address?.network === "unix") removeSocket(address.path);
    Promise.resolve(options.beforeExit?.())
      .catch((err: unknown) => log.warn({ error: err }, "failed to finish background work before exit"))
      .finally(() => process.exit(0));
  };

  addGoPluginServices(server, () => shutdown("controller shutdown"));
  options.register(server);

  process.on("SIGINT", () => log.debug("ignoring SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));

  address = await listen(server, env);
  writeHandshake(handshakeLine(APP_PROTOCOL_VERSION, address));
  // A closed stdout/stderr (the agent died; a reattached agent keeps using the socket) must not kill us. Set up
  // after the handshake line, which is written to fd 1 directly: creating the stream objects costs start-up time.
  process.stdout.on?.("error", () => {});
  process.stderr.on?.("error", () => {});
  log.info({ network: address.network, address: describeAddress(address) }, "plugin serving");
  return { address, shutdown };
}

function describeAddress(address: ListenAddress): string {
  return address.network === "unix" ? address.path : `${address.host}:${address.port}`;
}

/** Writes the handshake line straight to fd 1; EPIPE (host gone already) is logged, never fatal. */
function writeHandshake(line: string): void {
  try {
    writeSync(1, line);
  } catch (err) {
    log.warn({ error: err }, "failed to write handshake line");
  }
}

async function listen(server: grpc.Server, env: NodeJS.ProcessEnv): Promise<ListenAddress> {
  const path = unixSocketPath(env);
  if (path !== null) {
    if (existsSync(path)) removeSocket(path);
    await bind(server, `unix:${path}`);
    applySocketGroup(path, env.PLUGIN_UNIX_SOCKET_GROUP);
    return { network: "unix", path };
  }
  // The socket directory's path is too long for sun_path: fall back to loopback TCP, which go-plugin accepts.
  log.warn({ dir: env.PLUGIN_UNIX_SOCKET_DIR ?? "" }, "unix socket path too long; listening on loopback tcp");
  const { min, max } = tcpPortRange(env);
  for (let port = min; port <= max; port++) {
    try {
      const bound = await bind(server, `127.0.0.1:${port}`);
      return { network: "tcp", host: "127.0.0.1", port: bound };
    } catch {
      // Port in use: try the next one.
    }
  }
  throw new Error(`failed to listen: no free port in ${min}-${max}`);
}

function bind(server: grpc.Server, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(new Error(`failed to listen on ${target}`, { cause: err }));
      else resolve(port);
    });
  });
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** PLUGIN_UNIX_SOCKET_GROUP (a gid or a group name): chown the socket to it and make it 0660, as go-plugin. */
function applySocketGroup(path: string, group: string | undefined): void {
  if (!group) return;
  const gid = /^\d+$/.test(group) ? Number(group) : lookupGroup(group);
  if (gid === undefined) {
    throw new Error(`failed to apply PLUGIN_UNIX_SOCKET_GROUP: unknown group ${JSON.stringify(group)}`);
  }
  chownSync(path, -1, gid);
  chmodSync(path, 0o660);
}

function lookupGroup(name: string): number | undefined {
  try {
    for (const line of readFileSync("/etc/group", "utf8").split("\n")) {
      const [groupName, , gid] = line.split(":");
      if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
    }
  } catch {
    // No group database.
  }
  return undefined;
}
