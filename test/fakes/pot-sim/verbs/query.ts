// Read-only verbs: version, ls, info, ps, last-run-stats, get-attr, get-rss.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getConfRaw, getConfVar, JAIL_ATTRIBUTES, POT_RO_ATTRIBUTES, POT_RW_ATTRIBUTES } from "../conf.ts";
import type { Sim, Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { parseOptions } from "../options.ts";
import { exit } from "../output.ts";
import { confDir } from "../paths.ts";
import { isPot, isRunning, potList, readJail } from "../pots.ts";
import { clockRateMhz, treeUsage } from "../procs.ts";

/** `pot version`: 0.16.0 unless $POT_SIM_VERSION says otherwise. Works without a root. */
export const version: Verb = (sim, args) => {
  let quiet = false;
  parseOptions(sim, "version", args, "hvq", (name) => {
    if (name === "q") quiet = true;
  });
  const text = sim.env.POT_SIM_VERSION ?? "0.16.0";
  sim.out.print(quiet ? text : `pot version: ${text}`);
  return 0;
};

function networkType(sim: Sim, pot: string): string {
  return getConfVar(sim, pot, "network_type");
}

function ipOf(sim: Sim, pot: string): string {
  return getConfRaw(sim, pot, "ip").join("\n");
}

/** `pot ls` / `pot list`. Pots and private bridges exist in the simulator; -b -f -F list nothing. */
export const list: Verb = (sim, args) => {
  let quiet = false;
  let objects = 0;
  let all = false;
  let pots = true;
  let bridges = false;
  parseOptions(sim, "list", args, "hvbfFapqB", (name) => {
    if (name === "q") {
      quiet = true;
      return;
    }
    objects++;
    if (objects > 1) {
      sim.out.error("Options -b -p -f -F -B -a are mutually exclusive");
      printHelp(sim.out, "list");
      exit(1);
    }
    if (name === "a") all = true;
    pots = name === "p" || name === "a";
    bridges = name === "B";
  });
  if (all && quiet) {
    sim.out.error("Options -a and -q are incompatible");
    printHelp(sim.out, "list");
    exit(1);
  }
  // list.sh `_ls_bridges`: the files under bridges/ (common.sh `_get_bridge_list`).
  if (bridges) {
    for (const name of bridgeList(sim)) sim.out.print(quiet ? name : `bridge: ${name}`);
    return 0;
  }
  if (!pots) return 0;
  const names = potList(sim);
  if (names.length === 0) {
    if (!quiet) sim.out.print("No pot created yet...");
    return 0;
  }
  for (const pot of names) {
    if (quiet) {
      sim.out.print(pot);
      continue;
    }
    let text = `pot name : ${pot}\n\tnetwork : ${networkType(sim, pot)}\n`;
    if (networkType(sim, pot) !== "inherit") text += `\tip : ${ipOf(sim, pot)}\n`;
    text += `\tactive : ${isRunning(sim, pot)}\n`;
    if (sim.out.verbosity >= 2) {
      text += `\tbase : ${getConfVar(sim, pot, "pot.base")}\n\tlevel : ${getConfVar(sim, pot, "pot.level")}\n`;
      text += `\tdatasets:\n${fscompLines(sim, pot)}\tsnapshot:\n\t\tno snapshots\n`;
    }
    sim.out.print(`${text}`);
  }
  return 0;
};

function fscompLines(sim: Sim, pot: string): string {
  const file = join(confDir(sim.paths, pot), "fscomp.conf");
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [source = "", mountPoint = ""] = line.split(/\s+/);
      return `\t\t${mountPoint} => ${source}\n`;
    })
    .join("");
}

/** `pot info -E` lines (info.sh `_info_pot_env`). */
export function infoEnvLines(sim: Sim, pot: string): string[] {
  const lines = [`export _POT_NAME=${pot}`];
  const type = networkType(sim, pot);
  if (type === "alias") {
    const entries = ipOf(sim, pot)
      .split(/\s+/)
      .filter((e) => e !== "");
    const ipVars: string[] = [];
    const nicVars: string[] = [];
    entries.forEach((entry, index) => {
      const [nic, ip] = entry.includes("|") ? entry.split("|") : ["", entry];
      if (index === 0) lines.push(`export _POT_IP=${ip}`);
      lines.push(`export _POT_IP_${index}=${ip}`, `export _POT_NIC_${index}=${nic}`);
      ipVars.push(`_POT_IP_${index}`);
      nicVars.push(`_POT_NIC_${index}`);
    });
    lines.push(`export _POT_IP_LIST=${ipVars.join("\\ ")}`, `export _POT_NIC_LIST=${nicVars.join("\\ ")}`);
  } else {
    lines.push(`export _POT_IP=${type === "inherit" ? "" : ipOf(sim, pot)}`);
  }
  if (type === "private-bridge") lines.push(`export _POT_BRIDGE=${getConfVar(sim, pot, "bridge")}`);
  const jail = readJail(sim, pot);
  if (jail !== null && isRunning(sim, pot)) lines.push(`export _POT_JID=${jail.jid}`);
  return lines;
}

/** `pot info`. */
export const info: Verb = (sim, args) => {
  let pot = "";
  let bridge = "";
  let quiet = false;
  let running = false;
  let envOutput = false;
  let snapshots = false;
  parseOptions(sim, "info", args, "hvqp:rB:Es", (name, value) => {
    if (name === "q") quiet = true;
    if (name === "p") pot = value;
    if (name === "B") bridge = value;
    if (name === "r") running = true;
    if (name === "E") envOutput = true;
    if (name === "s") snapshots = true;
  });
  const fail = (message: string) => {
    sim.out.error(message);
    printHelp(sim.out, "info");
    exit(1);
  };
  if (pot === "" && bridge === "") fail("Option -p or -b are mandatory");
  if (pot !== "" && bridge !== "") fail("Option -p and -b are mutually exclusive");
  if (quiet && sim.out.verbosity >= 2) fail("Option -q and -v are mutually exclusive");
  if (envOutput && pot === "") fail("Environment variable output available for pot only");
  if (bridge !== "") {
    if (!existsSync(join(sim.paths.bridges, bridge))) {
      if (!quiet) sim.out.error(`${bridge} is not a bridge`);
      exit(1);
    }
    if (quiet) exit(0);
    sim.out.print(readFileSync(join(sim.paths.bridges, bridge), "utf8"));
    return 0;
  }
  if (!isPot(sim, pot, true)) {
    if (!quiet) sim.out.error(`${pot} is not a pot`);
    printHelp(sim.out, "info");
    exit(1);
  }
  if (running) exit(isRunning(sim, pot) ? 0 : 1);
  if (quiet) exit(0);
  if (snapshots) return 0;
  if (envOutput) {
    sim.out.print(infoEnvLines(sim, pot).join("\n"));
    return 0;
  }
  const verbose = sim.out.verbosity >= 2;
  const type = networkType(sim, pot);
  const potType = getConfVar(sim, pot, "pot.type");
  const level = getConfVar(sim, pot, "pot.level");
  let text = `pot name : ${pot}\n\ttype : ${potType}\n\tbase : ${getConfVar(sim, pot, "pot.base")}\n\tlevel : ${level}\n`;
  if (level === "2") text += `\tbase pot : ${getConfVar(sim, pot, "pot.potbase")}\n`;
  text += `\tnetwork_type : ${type}\n`;
  if (type !== "inherit") {
    text += `\tip : ${ipOf(sim, pot)}\n`;
    if (type === "private-bridge") text += `\tbridge : ${getConfVar(sim, pot, "bridge")}\n`;
    if (verbose) {
      const ports = exportedPorts(sim, pot);
      text += ports === "" ? "\t\tno ports exported\n" : `\t\texported ports: ${ports}\n`;
    }
  }
  text += `\tactive : ${isRunning(sim, pot)}\n`;
  if (verbose) {
    text += "\tdatasets:\n";
    if (potType === "single") text += `\t\t${pot}/m\n`;
    text += fscompLines(sim, pot);
    text += "\tsnapshots:\n\t\tno snapshots\n";
  }
  text += "\tattributes:\n";
  for (const attribute of [...POT_RW_ATTRIBUTES, ...POT_RO_ATTRIBUTES]) {
    text += `\t\t${attribute}: ${getConfVar(sim, pot, `pot.attr.${attribute}`) || "NO"}\n`;
  }
  text += "\tjail attributes:\n";
  for (const [attribute, spec] of Object.entries(JAIL_ATTRIBUTES)) {
    text += `\t\t${attribute}: ${getConfVar(sim, pot, `pot.attr.${attribute}`) || spec.default || "NO"}\n`;
  }
  if (verbose) {
    const cpus = getConfVar(sim, pot, "pot.rss.cpus");
    const memory = getConfVar(sim, pot, "pot.rss.memory");
    if (cpus !== "" || memory !== "") {
      text += "\tresource limits:\n";
      if (cpus !== "") text += `\t\tmax amount cpus: ${cpus}\n`;
      if (memory !== "") text += `\t\tmax amount memory: ${memory}\n`;
    }
  }
  sim.out.print(text);
  return 0;
};

/** pot.export.ports, ignored when the value contains `=` (common.sh `_get_pot_export_ports`). */
export function exportedPorts(sim: Sim, pot: string): string {
  const values = getConfRaw(sim, pot, "pot.export.ports");
  return values.filter((value) => !value.includes("=")).join("\n");
}

/** `pot ps`: running pots. */
export const ps: Verb = (sim, args) => {
  let quiet = false;
  parseOptions(sim, "ps", args, "hvq", (name) => {
    if (name === "q") quiet = true;
  });
  if (!quiet) sim.out.info("Internal network up");
  for (const pot of potList(sim)) if (isRunning(sim, pot)) sim.out.print(pot);
  return 0;
};

/** `pot last-run-stats`: conf/.last_run_stats, or `{}`. */
export const lastRunStats: Verb = (sim, args) => {
  let pot = "";
  parseOptions(sim, "last-run-stats", args, "hvp:", (name, value) => {
    if (name === "p") pot = value;
  });
  if (pot === "") {
    sim.out.error("A pot name is mandatory");
    printHelp(sim.out, "last-run-stats");
    exit(1);
  }
  if (!isPot(sim, pot)) {
    sim.out.error(`${pot} is not a pot`);
    exit(1);
  }
  const file = join(confDir(sim.paths, pot), ".last_run_stats");
  sim.out.raw(existsSync(file) ? readFileSync(file, "utf8") : "{}\n");
  return 0;
};

/** `pot get-attr`. */
export const getAttribute: Verb = (sim, args) => {
  let pot = "";
  let attribute = "";
  let quiet = false;
  parseOptions(sim, "get-attribute", args, "hvqp:A:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "A") attribute = value;
    if (name === "q") quiet = true;
  });
  const fail = (message: string) => {
    if (!quiet) {
      sim.out.error(message);
      printHelp(sim.out, "get-attribute");
    }
    exit(1);
  };
  if (pot === "") fail("A pot name is mandatory");
  if (attribute === "") fail("Option -A is mandatory");
  if (!isPot(sim, pot, quiet)) fail(`${pot} is not a valid pot`);
  const valid = [...POT_RW_ATTRIBUTES, ...POT_RO_ATTRIBUTES, ...Object.keys(JAIL_ATTRIBUTES)];
  if (!valid.includes(attribute)) fail(`${attribute} is not a valid attribute`);
  const value = getConfVar(sim, pot, `pot.attr.${attribute}`);
  if (quiet) sim.out.print(value);
  else if (value === "") sim.out.info(`The attribute ${attribute} is not set for the pot ${pot}`);
  else sim.out.info(`${attribute}: ${value}`);
  return 0;
};

/** Whether rctl accounting is on: $POT_SIM_RACCT=0 turns it off. */
export function racctEnabled(sim: Sim): boolean {
  return sim.env.POT_SIM_RACCT !== "0";
}

/** `pot get-rss`: the real usage of the jail's process tree, in pot's text or one-line JSON form. */
export const getRss: Verb = (sim, args) => {
  let pot = "";
  let json = false;
  parseOptions(sim, "get-rss", args, "hvp:J", (name, value) => {
    if (name === "p") pot = value;
    if (name === "J") json = true;
  });
  if (pot === "") {
    sim.out.error("A pot name is mandatory");
    printHelp(sim.out, "get-rss");
    exit(1);
  }
  if (!isRunning(sim, pot)) {
    sim.out.error(`The pot ${pot} is not running`);
    exit(1);
  }
  if (!racctEnabled(sim)) {
    sim.out.error("To get resource usage, rctl has to be enabled");
    exit(1);
  }
  const jail = readJail(sim, pot);
  const usage = treeUsage(jail?.mainPid ?? -1);
  const cpuTime = ((clockRateMhz() * usage.cpuPercent) / 100).toFixed(3);
  if (json) {
    sim.out.print(
      `{ "ResourceUsage": { "MemoryStats": { "RSS" : ${usage.rssBytes}, "Swap" : ${usage.swapBytes} }, ` +
        `"CpuStats": { "TotalTicks": ${cpuTime}, "Percent": ${usage.cpuPercent} } } } `,
    );
  } else {
    sim.out.print(
      `Resource usage by the pot ${pot}\n` +
        `\tcpu time (ticks spent) : ${Math.round(usage.cpuSeconds)}\n` +
        `\tcpu time (MHz)         : ${cpuTime}\n` +
        `\tpcpu (%)               : ${usage.cpuPercent}\n` +
        `\tvirtual memory         : ${usage.virtualBytes}\n` +
        `\tphysical memory        : ${usage.rssBytes}\n` +
        `\tswap memory            : ${usage.swapBytes}`,
    );
  }
  return 0;
};

function bridgeList(sim: Sim): string[] {
  try {
    return readdirSync(sim.paths.bridges, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

const CONFIG_NAMES = ["fs_root", "zfs_root", "gateway", "syslogd", "pot_prefix", "fscomp_prefix", "network_stack"];

/** `pot config -g name` (config.sh): `label = value`, or the value alone with -q. */
export const config: Verb = (sim, args) => {
  let quiet = false;
  let name = "";
  parseOptions(sim, "config", args, "hvqg:", (option, value) => {
    if (option === "q") quiet = true;
    if (option === "g") {
      if (!CONFIG_NAMES.includes(value)) {
        if (!quiet) {
          sim.out.error(`${value} is not a valid name`);
          printHelp(sim.out, "config");
        }
        exit(1);
      }
      name = value;
    }
  });
  if (name === "") {
    if (!quiet) {
      sim.out.error("option -g is mandatory");
      printHelp(sim.out, "config");
    }
    exit(1);
  }
  const root = sim.paths.root;
  const values: Record<string, [string, string]> = {
    fs_root: ["fs_root", root],
    zfs_root: ["zfs_root", "zroot/pot"],
    gateway: ["gateway", "10.192.0.1"],
    syslogd: ["syslogd flags", "-b 127.0.0.1 -b 10.192.0.1 -a 10.192.0.0/10"],
    pot_prefix: ["pot prefix", `${root}/jails`],
    fscomp_prefix: ["fscomp prefix", `${root}/fscomp`],
    network_stack: ["network stack", "ipv4"],
  };
  const [label, value] = values[name] ?? ["", ""];
  sim.out.print(quiet ? value : `${label} = ${value}`);
  return 0;
};
