// pot.conf access with pot's own reading rules (common.sh `_get_conf_var`) and replace-by-append writes.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sim } from "./context.ts";
import { confDir } from "./paths.ts";

export function confFile(sim: Sim, pot: string): string {
  return join(confDir(sim.paths, pot), "pot.conf");
}

export function readConfLines(sim: Sim, pot: string): string[] {
  const file = confFile(sim, pot);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "");
}

/** Lines that start with `key=`, the text after `key=` unchanged (pot.cmd, ip, pot.env, pot.hosts). */
export function getConfRaw(sim: Sim, pot: string, key: string): string[] {
  return readConfLines(sim, pot)
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/**
 * pot's `grep "^key=" | tr -d ' \t"' | cut -f2 -d=`: spaces, tabs and quotes removed, only the text between
 * the first and second `=`; several matching lines are joined by newlines; "" when absent.
 */
export function getConfVar(sim: Sim, pot: string, key: string): string {
  return readConfLines(sim, pot)
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.replace(/[ \t"]/g, "").split("=")[1] ?? "")
    .join("\n");
}

/** Deletes every `key=` line and appends one line per value at the end (pot's `sed -i …d` + `echo >>`). */
export function replaceConfKey(sim: Sim, pot: string, key: string, values: readonly string[]): void {
  const kept = readConfLines(sim, pot).filter((line) => !line.startsWith(`${key}=`));
  const added = values.map((value) => `${key}=${value}`);
  writeFileSync(confFile(sim, pot), [...kept, ...added].map((line) => `${line}\n`).join(""));
}

export function appendConf(sim: Sim, pot: string, lines: readonly string[]): void {
  const existing = readConfLines(sim, pot);
  writeFileSync(confFile(sim, pot), [...existing, ...lines].map((line) => `${line}\n`).join(""));
}

/** The jail attributes with their jail(8) parameter, type and default (common.sh `_POT_DEFAULT_*`). */
export const JAIL_ATTRIBUTES: Record<string, { type: "bool" | "uint" | "string" | "sysvopt"; default: string }> = {
  enforce_statfs: { type: "uint", default: "2" },
  mount: { type: "bool", default: "NO" },
  fdescfs: { type: "bool", default: "NO" },
  linprocfs: { type: "bool", default: "NO" },
  nullfs: { type: "bool", default: "NO" },
  procfs: { type: "bool", default: "NO" },
  tmpfs: { type: "bool", default: "NO" },
  zfs: { type: "bool", default: "NO" },
  raw_sockets: { type: "bool", default: "NO" },
  sysvshm: { type: "sysvopt", default: "new" },
  sysvsem: { type: "sysvopt", default: "new" },
  sysvmsg: { type: "sysvopt", default: "new" },
  children: { type: "uint", default: "0" },
  mlock: { type: "bool", default: "NO" },
  devfs_ruleset: { type: "uint", default: "4" },
  exec_stop: { type: "string", default: "" },
  stop_timeout: { type: "uint", default: "10" },
};

export const POT_RW_ATTRIBUTES = [
  "start-at-boot",
  "early-start-at-boot",
  "persistent",
  "no-rc-script",
  "prunable",
  "localhost-tunnel",
  "no-tmpfs",
  "no-etc-hosts",
];
export const POT_RO_ATTRIBUTES = ["to-be-pruned"];

/** pot.conf of a freshly created single-type pot (create.sh defaults), used for images without a conf. */
export function defaultPotConf(hostname: string): string[] {
  return [
    "pot.level=0",
    "pot.type=single",
    "pot.base=14.1",
    "pot.potbase=",
    "pot.dns=inherit",
    "pot.cmd=sh /etc/rc",
    `host.hostname="${hostname}"`,
    'osrelease="14.1-RELEASE"',
    "pot.stack=ipv4",
    "network_type=inherit",
    "vnet=false",
    "pot.attr.no-rc-script=NO",
    "pot.attr.persistent=YES",
    "pot.attr.start-at-boot=NO",
    "pot.attr.prunable=NO",
    "pot.attr.no-tmpfs=NO",
    ...Object.entries(JAIL_ATTRIBUTES).map(([name, attr]) => `pot.attr.${name}=${attr.default}`),
  ];
}
