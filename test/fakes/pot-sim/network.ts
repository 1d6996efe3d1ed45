// Network facts the simulator needs: port specs, IP validation, `potnet next`-style address allocation.
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { getConfVar, getConfRaw } from "./conf.ts";
import type { Sim } from "./context.ts";
import { potList } from "./pots.ts";

export const NETWORK_TYPES = ["inherit", "alias", "public-bridge", "private-bridge"];

/** POT_NETWORK 10.192.0.0/10 with gateway .0.1 and the dns pot at .0.2 (pot.default.conf). */
const PUBLIC_NETWORK = { base: ipv4ToInt("10.192.0.0"), size: 1 << 22, reserved: ["10.192.0.1", "10.192.0.2"] };

function isPortNumber(text: string): boolean {
  return /^[0-9]+$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

/** network.sh `_is_export_port_valid`: `[tcp:|udp:]potport[:hostport]`. */
export function isExportPortValid(spec: string): boolean {
  const arg = spec.startsWith("tcp:") ? spec.slice(4) : spec.startsWith("udp:") ? spec.slice(4) : spec;
  const [potPort = "", hostPort] = arg.split(":");
  if (arg === potPort) return isPortNumber(potPort);
  return isPortNumber(potPort) && isPortNumber(hostPort ?? "");
}

export function isValidIp(text: string): boolean {
  return isIP(text) !== 0;
}

export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

interface Subnet {
  base: number;
  size: number;
  reserved: string[];
}

/** A private bridge's subnet from `bridges/<name>` (`net=a.b.c.d/n`, `gateway=…`), or null. */
export function bridgeSubnet(sim: Sim, bridge: string): Subnet | null {
  const file = join(sim.paths.bridges, bridge);
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, "utf8").split("\n");
  const net = lines.find((line) => line.startsWith("net="))?.slice(4) ?? "";
  const gateway = lines.find((line) => line.startsWith("gateway="))?.slice(8) ?? "";
  const [address = "", bits = ""] = net.split("/");
  if (isIP(address) !== 4 || !/^\d+$/.test(bits)) return null;
  const size = 2 ** (32 - Number(bits));
  return { base: Math.floor(ipv4ToInt(address) / size) * size, size, reserved: gateway === "" ? [] : [gateway] };
}

function usedIps(sim: Sim): Set<string> {
  const used = new Set<string>();
  for (const pot of potList(sim)) {
    const type = getConfVar(sim, pot, "network_type");
    if (type !== "public-bridge" && type !== "private-bridge") continue;
    for (const ip of getConfRaw(sim, pot, "ip")) used.add(ip.trim());
  }
  return used;
}

/** `potnet next [-b bridge]`: the first free address, skipping network, broadcast, gateway, dns and used IPs. */
export function nextIp(sim: Sim, bridge?: string): string | null {
  const subnet = bridge === undefined ? PUBLIC_NETWORK : bridgeSubnet(sim, bridge);
  if (subnet === null) return null;
  const used = usedIps(sim);
  for (let offset = 1; offset < subnet.size - 1; offset++) {
    const ip = intToIpv4(subnet.base + offset);
    if (!subnet.reserved.includes(ip) && !used.has(ip)) return ip;
  }
  return null;
}

/** `potnet validate -H ip [-b bridge]`: an IPv4 inside the network, not reserved, not used. */
export function validateBridgeIp(sim: Sim, ip: string, bridge?: string): boolean {
  const subnet = bridge === undefined ? PUBLIC_NETWORK : bridgeSubnet(sim, bridge);
  if (subnet === null || isIP(ip) !== 4) return false;
  const value = ipv4ToInt(ip);
  if (value <= subnet.base || value >= subnet.base + subnet.size - 1) return false;
  return !subnet.reserved.includes(ip) && !usedIps(sim).has(ip);
}

/**
 * The host's network interfaces, for `ifconfig <nic>` checks: `$POT_SIM_NETIFS` (space-separated), by default
 * `em0 lo0` (pot's default POT_EXTIF and the loopback).
 */
export function hostInterfaces(sim: Sim): string[] {
  return (sim.env.POT_SIM_NETIFS ?? "em0 lo0").split(/\s+/).filter((nic) => nic !== "");
}

export interface AliasAddress {
  nic: string;
  ip: string;
  family: 4 | 6;
}

/** network.sh `_get_alias_ipv4`/`_ipv6`: `[nic|]ip` entries of an alias pot's `ip`, nic defaulting to POT_EXTIF. */
export function aliasAddresses(sim: Sim, ipVar: string): AliasAddress[] {
  const out: AliasAddress[] = [];
  for (const entry of ipVar.split(/\s+/).filter((e) => e !== "")) {
    const bar = entry.indexOf("|");
    const nic = bar < 0 ? sim.env.POT_EXTIF || "em0" : entry.slice(0, bar);
    const ip = bar < 0 ? entry : (entry.slice(bar + 1).split("|")[0] ?? "");
    const family = isIP(ip);
    if (family === 4 || family === 6) out.push({ nic, ip, family });
  }
  return out;
}

/** network.sh `_validate_alias_ipaddr`: the error lines pot prints, empty when the addresses are usable. */
export function aliasProblems(sim: Sim, ips: readonly string[], stack: string): string[] {
  let v4 = false;
  let v6 = false;
  for (const entry of ips) {
    const bar = entry.indexOf("|");
    if (bar >= 0) {
      const nic = entry.slice(0, bar);
      if (!hostInterfaces(sim).includes(nic)) return [`${nic} is not a valid network interface`];
    }
    const ip = bar < 0 ? entry : (entry.slice(bar + 1).split("|")[0] ?? "");
    if (!isValidIp(ip)) return [`${ip} is not a valid IP address`];
    if (isIP(ip) === 4) v4 = true;
    if (isIP(ip) === 6) v6 = true;
  }
  if (stack === "ipv4" && !v4) return ["Stack is ipv4 but not ipv4 address has been provided"];
  if (stack === "ipv6" && !v6) return ["Stack is ipv6 but not ipv6 address has been provided"];
  return [];
}
