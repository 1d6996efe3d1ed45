// Verbs that rewrite pot.conf: set-attribute, set-cmd, set-env, set-hosts, set-rss, export-ports.
import { getConfVar, JAIL_ATTRIBUTES, POT_RW_ATTRIBUTES, replaceConfKey } from "../conf.ts";
import type { Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { isExportPortValid, isValidIp } from "../network.ts";
import { parseOptions } from "../options.ts";
import { isPot, isRunning } from "../pots.ts";

/** common.sh `_normalize_true_false`. */
function normalizeBoolean(value: string): "YES" | "NO" | null {
  if (/^(yes|true|on)$/i.test(value)) return "YES";
  if (/^(no|false|off)$/i.test(value)) return "NO";
  return null;
}

/** `pot set-attribute` (alias set-attr): replaces one `pot.attr.<name>` line. */
export const setAttribute: Verb = (sim, args) => {
  let pot = "";
  let attribute = "";
  let value = "";
  parseOptions(sim, "set-attribute", args, "hvp:A:V:", (name, optarg) => {
    if (name === "p") pot = optarg;
    if (name === "A") attribute = optarg;
    if (name === "V") value = optarg;
  });
  const refuse = (message: string) => {
    sim.out.error(message);
    printHelp(sim.out, "set-attribute");
    return 1;
  };
  if (pot === "") return refuse("A pot name is mandatory");
  if (attribute === "") return refuse("Option -A is mandatory");
  if (value === "") return refuse("Option -V is mandatory");
  if (!isPot(sim, pot)) return refuse(`${pot} is not a valid pot`);
  if (!POT_RW_ATTRIBUTES.includes(attribute) && !(attribute in JAIL_ATTRIBUTES)) {
    return refuse(`${attribute} is not a valid attribute`);
  }
  let type = JAIL_ATTRIBUTES[attribute]?.type ?? "bool";
  if (attribute === "no-tmpfs") {
    if (getConfVar(sim, pot, "pot.type") !== "single") {
      sim.out.error("Attribute no-tmpfs is only usable with single type pot");
      return 1;
    }
    if (isRunning(sim, pot)) {
      sim.out.error(`pot ${pot} is still running`);
      return 1;
    }
    type = "bool";
  }
  let stored = value;
  if (type === "bool") {
    const normalized = normalizeBoolean(value);
    if (normalized === null) return refuse(`value ${value} is not a valid boolean value`);
    stored = normalized;
  } else if (type === "uint") {
    if (/[^0-9]/.test(value)) return refuse(`value ${value} is not a valid uint value`);
  } else if (type === "sysvopt") {
    if (!["new", "inherit", "disable"].includes(value)) return refuse("value must be one of 'new', 'inherit', 'disable'");
  }
  replaceConfKey(sim, pot, `pot.attr.${attribute}`, [stored]);
  return 0;
};

/** `pot set-cmd`: one leading `"` and then one trailing `"` are stripped (common.sh `_set_command`). */
export const setCmd: Verb = (sim, args) => {
  let pot = "";
  let command = "";
  parseOptions(sim, "set-cmd", args, "hvp:c:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "c") command = value;
  });
  const refuse = (message: string) => {
    sim.out.error(message);
    printHelp(sim.out, "set-cmd");
    return 1;
  };
  if (pot === "") return refuse("A pot name is mandatory");
  if (command === "") return refuse("A command is mandatory");
  if (!isPot(sim, pot)) return refuse(`pot ${pot} is not valid`);
  const stored = command.startsWith('"') ? command.slice(1).replace(/"$/, "") : command;
  replaceConfKey(sim, pot, "pot.cmd", [stored]);
  return 0;
};

/**
 * `pot set-env`: replaces every pot.env line with the given set, each stored as `pot.env="VAR=value"` with
 * inner `"` escaped. A value with a newline yields one pot.env line per text line, as pot's sed does.
 */
export const setEnv: Verb = (sim, args) => {
  let pot = "";
  const entries: string[] = [];
  let problem: string[] | undefined;
  parseOptions(sim, "set-env", args, "hvp:E:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "E" && problem === undefined) {
      if (!value.includes("=")) problem = [`${value} not in a valid form`, "VARIABLE=value is accetped"];
      else entries.push(`"${value.replaceAll('"', '\\"')}"`);
    }
  });
  const refuse = (...messages: string[]) => {
    for (const message of messages) sim.out.error(message);
    printHelp(sim.out, "set-env");
    return 1;
  };
  if (problem !== undefined) return refuse(...problem);
  if (pot === "") return refuse("A pot name is mandatory");
  if (entries.length === 0) return refuse("A command is mandatory");
  if (!isPot(sim, pot)) return refuse(`pot ${pot} is not valid`);
  replaceConfKey(
    sim,
    pot,
    "pot.env",
    entries.flatMap((entry) => entry.split("\n")),
  );
  return 0;
};

/** `pot set-hosts`: replaces every pot.hosts line with `<ip> <hostname>`; entries split at the first `:`. */
export const setHosts: Verb = (sim, args) => {
  let pot = "";
  const entries: string[] = [];
  let problem: string[] | undefined;
  parseOptions(sim, "set-hosts", args, "hvp:H:", (name, value) => {
    if (name === "p") pot = value;
    if (name !== "H" || problem !== undefined) return;
    const colon = value.indexOf(":");
    if (colon < 0) {
      problem = [`${value} not in a valid form`, "hostname:IP is accepted"];
      return;
    }
    const hostname = value.slice(0, colon);
    const ip = value.slice(colon + 1);
    if (hostname === "" || ip === "") problem = ["Submitted ip or hostname are empty"];
    else if (!isValidIp(ip)) problem = [`Submitted ip ${ip} is not a valid one`];
    else entries.push(`${ip} ${hostname}`);
  });
  const refuse = (...messages: string[]) => {
    for (const message of messages) sim.out.error(message);
    printHelp(sim.out, "set-hosts");
    return 1;
  };
  if (problem !== undefined) return refuse(...problem);
  if (pot === "") return refuse("A pot name is mandatory");
  if (!isPot(sim, pot)) return refuse(`pot ${pot} is not valid`);
  replaceConfKey(sim, pot, "pot.hosts", entries);
  return 0;
};

/** `pot set-rss`: pot.rss.memory (`^[0-9]+[bBkKmMgG]?$`, > 0) and pot.rss.cpus (natural > 0). */
export const setRss: Verb = (sim, args) => {
  let pot = "";
  let cpus = "";
  let memory = "";
  let memoryProblem: string | undefined;
  parseOptions(sim, "set-rss", args, "hvp:C:M:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "C") cpus = value;
    if (name === "M" && memoryProblem === undefined) {
      if (!/^[0-9]+[bBkKmMgG]?$/.test(value)) memoryProblem = `${value} is not a valid memory constraint`;
      else if (/^0+[bBkKmMgG]?$/.test(value)) memoryProblem = "Memory constraint has to be greater than zero";
      else memory = value;
    }
  });
  const refuse = (message: string) => {
    sim.out.error(message);
    printHelp(sim.out, "set-rss");
    return 1;
  };
  if (memoryProblem !== undefined) return refuse(memoryProblem);
  if (pot === "") return refuse("A pot name is mandatory");
  if (!isPot(sim, pot)) return refuse(`${pot} is not a valid pot name`);
  if (cpus === "" && memory === "") return refuse("One resource has to be specified (-C or -M)");
  if (cpus !== "") {
    if (!/^[0-9]+$/.test(cpus) || Number(cpus) <= 0) {
      sim.out.error(`${cpus} is a not valid amount of CPUs!`);
      return 1;
    }
    replaceConfKey(sim, pot, "pot.rss.cpus", [cpus]);
  }
  if (memory !== "") replaceConfKey(sim, pot, "pot.rss.memory", [memory]);
  return 0;
};

/** `pot export-ports`: replaces pot.export.ports with the specs, space-separated, in the order given. */
export const exportPorts: Verb = (sim, args) => {
  let pot = "";
  const ports: string[] = [];
  let problem: string | undefined;
  parseOptions(sim, "export-ports", args, "hvp:e:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "e" && problem === undefined) {
      if (!isExportPortValid(value)) problem = `${value} is not a valid port number`;
      else ports.push(value);
    }
  });
  const refuse = (message: string) => {
    sim.out.error(message);
    printHelp(sim.out, "export-ports");
    return 1;
  };
  if (problem !== undefined) return refuse(problem);
  if (pot === "") return refuse("A pot name is mandatory");
  if (!isPot(sim, pot)) return refuse(`${pot} is not a valid pot name`);
  if (ports.length === 0) return refuse("One port has to be specified");
  const type = getConfVar(sim, pot, "network_type");
  if (type !== "public-bridge" && type !== "private-bridge") {
    sim.out.info("Only public-bridge and private-bridge network type can export ports - this setting will be ignored during start");
  }
  if (getConfVar(sim, pot, "pot.stack") === "ipv6") {
    sim.out.info("Only ipv4 can export ports, on ipv6 the pot has already a unique address - this setting will be ignored during start");
  }
  sim.out.debug(`Exporting the following ports: ${ports.join(" ")}`);
  replaceConfKey(sim, pot, "pot.export.ports", [ports.join(" ")]);
  return 0;
};
