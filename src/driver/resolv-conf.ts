// The jail's resolv.conf from the group's `network { dns { … } }` block (driver layer, pure).
//
// pot copies a custom resolv.conf into the jail at every start (docs/networking.md, "DNS"); this module decides
// its text. Every value is checked against what FreeBSD's resolver reads, so nothing the job wrote is silently
// ignored by the jail's libc: a value it would drop is refused instead.
import { isIPv4, isIPv6 } from "node:net";
import type { ConfigIssue } from "./config-schema.ts";
import type { DnsSettings } from "./task-spec.ts";

/** The resolver reads at most 3 name servers (MAXNS) and 6 search domains (MAXDNSRCH) of 256 bytes in all. */
const MAX_SERVERS = 3;
const MAX_SEARCHES = 6;
const MAX_SEARCH_LENGTH = 256;

/** Options FreeBSD's res_init.c understands; `name:` takes a decimal number. */
const FLAG_OPTIONS = new Set([
  "debug",
  "no_tld_query",
  "no-tld-query",
  "inet6",
  "insecure1",
  "insecure2",
  "rotate",
  "usevc",
  "no-check-names",
  "edns0",
  "dname",
]);
const NUMBER_OPTIONS = new Set(["ndots", "timeout", "attempts", "reload-period"]);

const DOMAIN_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export type ResolvConfResult = { ok: true; text: string } | { ok: false; issues: ConfigIssue[] };

/** The resolv.conf text for `dns`, or an issue per refused value (paths rooted at `task.dns`). */
export function renderResolvConf(dns: DnsSettings): ResolvConfResult {
  const issues: ConfigIssue[] = [...beyondLimit("servers", dns.servers, MAX_SERVERS, "name servers")];
  dns.servers.forEach((server, i) => {
    if (!isIPv4(server) && !(isIPv6(server) && !server.includes("%"))) {
      issues.push({ path: `task.dns.servers[${i}]`, message: "must be an IPv4 or IPv6 address", value: server });
    }
  });
  issues.push(...beyondLimit("searches", dns.searches, MAX_SEARCHES, "search domains"));
  dns.searches.forEach((domain, i) => {
    const bare = domain.endsWith(".") ? domain.slice(0, -1) : domain;
    if (bare === "" || bare.length > 253 || !bare.split(".").every((label) => DOMAIN_LABEL.test(label))) {
      issues.push({ path: `task.dns.searches[${i}]`, message: "must be a domain name", value: domain });
    }
  });
  if (dns.searches.join(" ").length > MAX_SEARCH_LENGTH) {
    issues.push({ path: "task.dns.searches", message: `must be at most ${MAX_SEARCH_LENGTH} characters together`, value: dns.searches });
  }
  dns.options.forEach((option, i) => {
    const colon = option.indexOf(":");
    const name = colon < 0 ? option : option.slice(0, colon);
    const known = colon < 0 ? FLAG_OPTIONS.has(name) : NUMBER_OPTIONS.has(name) && /^[0-9]{1,5}$/.test(option.slice(colon + 1));
    if (!known) {
      issues.push({
        path: `task.dns.options[${i}]`,
        message: `is not an option FreeBSD's resolver reads (${[...FLAG_OPTIONS].join(", ")}, or ${[...NUMBER_OPTIONS].map((n) => `${n}:N`).join(", ")})`,
        value: option,
      });
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  const lines = ["# Written by pot-task-driver from the group's network dns block"];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(" ")}`);
  for (const server of dns.servers) lines.push(`nameserver ${server}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(" ")}`);
  return { ok: true, text: `${lines.join("\n")}\n` };
}

/** Whether the job asked for anything: Nomad sends an empty block when the group has none. */
export function hasDnsSettings(dns: DnsSettings | undefined): dns is DnsSettings {
  return dns !== undefined && dns.servers.length + dns.searches.length + dns.options.length > 0;
}

/** The issue of a list longer than the resolver reads (`what` names its entries), or none. */
function beyondLimit(field: "servers" | "searches", list: readonly string[], max: number, what: string): ConfigIssue[] {
  if (list.length <= max) return [];
  return [{ path: `task.dns.${field}`, message: `at most ${max} ${what}: the jail's resolver ignores the rest`, value: list }];
}
