// The pf redirections pot writes for exported ports (start.sh `_js_export_ports`), kept as files instead of
// being loaded into pf: `pf/pot-rdr/<anchor>` holds the rules `pfctl -a pot-rdr/<anchor> -f` would load,
// and `pot stop` flushes the anchor again (stop.sh `pfctl -a pot-rdr/<anchor> -F nat`).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getConfRaw } from "./conf.ts";
import type { Sim } from "./context.ts";
import { exportedPorts } from "./verbs/query.ts";

/** network.sh `_get_pot_rdr_anchor_name`: names over 55 characters keep their last 55, minus leading `_`. */
export function rdrAnchorName(pot: string): string {
  return pot.length > 55 ? pot.slice(pot.length - 55).replace(/^_+/, "") : pot;
}

function anchorDir(sim: Sim): string {
  return join(sim.paths.root, "pf", "pot-rdr");
}

/** Host ports redirected by every loaded anchor (what `pfctl -a <a> -s nat` lists). */
function redirectedPorts(sim: Sim): string[] {
  let anchors: string[];
  try {
    anchors = readdirSync(anchorDir(sim));
  } catch {
    return [];
  }
  return anchors.flatMap((anchor) =>
    readFileSync(join(anchorDir(sim), anchor), "utf8")
      .split("\n")
      .map((line) => /\bport (\d+) ->/.exec(line)?.[1])
      .filter((port): port is string => port !== undefined),
  );
}

/** `_js_get_free_rnd_port`: the lowest port above the reserved range that no rule or earlier spec uses. */
function freePort(sim: Sim, excluded: string[]): string {
  const used = new Set([...excluded, ...redirectedPorts(sim)]);
  for (let port = 1024; port < 10000; port++) if (!used.has(String(port))) return String(port);
  return "";
}

/** `_js_export_ports`: one `rdr pass` line per exported spec, in the order pot.conf holds them. */
export function loadRdrRules(sim: Sim, pot: string): void {
  const specs = exportedPorts(sim, pot)
    .split(/\s+/)
    .filter((spec) => spec !== "");
  if (specs.length === 0) return;
  const ip = getConfRaw(sim, pot, "ip")[0] ?? "";
  const extif = sim.env.POT_EXTIF || "em0";
  const to = sim.env.POT_EXTIF_ADDR || `(${extif})`;
  const rules: string[] = [];
  const excluded: string[] = [];
  for (const spec of specs) {
    const protocol = spec.startsWith("udp:") ? "udp" : "tcp";
    const rest = spec.startsWith("udp:") || spec.startsWith("tcp:") ? spec.slice(4) : spec;
    const [potPort = "", given] = rest.split(":");
    const hostPort = given ?? freePort(sim, excluded);
    sim.out.debug(`Redirect: from ${to} : ${protocol}:${hostPort} to ${ip} : ${protocol}:${potPort}`);
    rules.push(`rdr pass on ${extif} proto ${protocol} from any to ${to} port ${hostPort} -> ${ip} port ${potPort}`);
    excluded.push(hostPort);
  }
  mkdirSync(anchorDir(sim), { recursive: true });
  writeFileSync(join(anchorDir(sim), rdrAnchorName(pot)), `${rules.join("\n")}\n`);
}

/** stop.sh: flushes the pot's anchor. */
export function flushRdrRules(sim: Sim, pot: string): void {
  rmSync(join(anchorDir(sim), rdrAnchorName(pot)), { force: true });
}
