// go-plugin handshake facts (go-plugin host): magic cookie, protocol versions, listener address, handshake line.
//
// Values are Nomad's (plugins/base/plugin.go Handshake) and go-plugin's (server.go): core protocol 1,
// app protocol 2, the line "CORE|APP|NETWORK|ADDR|grpc|" as the first and only line on stdout.
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAGIC_COOKIE_KEY = "NOMAD_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";
export const CORE_PROTOCOL_VERSION = 1;
export const APP_PROTOCOL_VERSION = 2;

/** sun_path is 104 bytes on FreeBSD (108 on Linux) including the NUL: a usable path has at most 103. */
export const MAX_UNIX_SOCKET_PATH = 103;

export const NOT_A_PLUGIN_MESSAGE =
  "This binary is a plugin for HashiCorp Nomad: the pot task driver. It is not meant to be executed " +
  'directly. Put it in the Nomad client\'s plugin_dir and add a `plugin "pot-task-driver" {}` block to the ' +
  "agent configuration; Nomad then starts it itself. To check a host, run `pot-task-driver doctor`; " +
  "to print the version, `pot-task-driver version`.\n";

export function hasMagicCookie(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

/**
 * Whether the host offers our app protocol. We speak only 2 (Nomad offers only 2); when it is not offered we
 * still announce 2 and the host reports the mismatch, as go-plugin servers do.
 */
export function appProtocolOffered(env: NodeJS.ProcessEnv): boolean {
  return (env.PLUGIN_PROTOCOL_VERSIONS ?? "").split(",").some((v) => Number.parseInt(v.trim(), 10) === APP_PROTOCOL_VERSION);
}

export type ListenAddress = { network: "unix"; path: string } | { network: "tcp"; host: string; port: number };

/** A fresh, unpredictable socket path in PLUGIN_UNIX_SOCKET_DIR or the temp dir, or null when too long. */
export function unixSocketPath(env: NodeJS.ProcessEnv): string | null {
  const dir = env.PLUGIN_UNIX_SOCKET_DIR && env.PLUGIN_UNIX_SOCKET_DIR.length > 0 ? env.PLUGIN_UNIX_SOCKET_DIR : tmpdir();
  const path = join(dir, `plugin${randomBytes(6).toString("hex")}`);
  return Buffer.byteLength(path) <= MAX_UNIX_SOCKET_PATH ? path : null;
}

/** The TCP port range go-plugin hands its plugins (PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, inclusive). */
export function tcpPortRange(env: NodeJS.ProcessEnv): { min: number; max: number } {
  const min = Number.parseInt(env.PLUGIN_MIN_PORT ?? "", 10);
  const max = Number.parseInt(env.PLUGIN_MAX_PORT ?? "", 10);
  const lo = Number.isInteger(min) && min > 0 && min < 65536 ? min : 10000;
  const hi = Number.isInteger(max) && max >= lo && max < 65536 ? max : 25000;
  return { min: lo, max: hi };
}

export function handshakeLine(appProtocol: number, address: ListenAddress): string {
  const addr = address.network === "unix" ? address.path : `${address.host}:${address.port}`;
  return `${CORE_PROTOCOL_VERSION}|${appProtocol}|${address.network}|${addr}|grpc|\n`;
}
