// The attributes `pot set-attribute` accepts and the kind of value each takes (layer 3, pure): the eight pot
// attributes and the seventeen jail attributes of pot's common.sh, with booleans, unsigned integers, the sysv*
// options and free strings checked as set-attribute.sh checks them (docs/pot-behaviour.md, "Attributes, set-env,
// set-hosts").

export type PotAttributeKind = "bool" | "uint" | "sysv" | "string";

export const POT_ATTRIBUTE_KINDS = {
  "start-at-boot": "bool",
  "early-start-at-boot": "bool",
  persistent: "bool",
  "no-rc-script": "bool",
  prunable: "bool",
  "localhost-tunnel": "bool",
  "no-tmpfs": "bool",
  "no-etc-hosts": "bool",
  enforce_statfs: "uint",
  mount: "bool",
  fdescfs: "bool",
  linprocfs: "bool",
  nullfs: "bool",
  procfs: "bool",
  tmpfs: "bool",
  zfs: "bool",
  raw_sockets: "bool",
  sysvshm: "sysv",
  sysvsem: "sysv",
  sysvmsg: "sysv",
  children: "uint",
  mlock: "bool",
  devfs_ruleset: "uint",
  exec_stop: "string",
  stop_timeout: "uint",
} as const satisfies Readonly<Record<string, PotAttributeKind>>;

export type PotAttributeName = keyof typeof POT_ATTRIBUTE_KINDS;

/** True when `pot set-attribute` knows the attribute. */
export function isPotAttribute(name: string): name is PotAttributeName {
  return Object.hasOwn(POT_ATTRIBUTE_KINDS, name);
}
