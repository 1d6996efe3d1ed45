// `pot prepare`: import (or reuse) `<pot>_<tag>`, clone it as `<name or pot_tag>_<allocId>`, configure it.
import { existsSync } from "node:fs";
import type { Sim, Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import type { Knob, PrepareStep } from "../knobs.ts";
import { isExportPortValid, NETWORK_TYPES } from "../network.ts";
import { parseOptions } from "../options.ts";
import { exit } from "../output.ts";
import { isPot } from "../pots.ts";
import { exportPorts, setAttribute, setCmd } from "./config.ts";
import { clonePot, importedName, importImage } from "./image.ts";
import { start, stopPot } from "./lifecycle.ts";

/** The attribute steps of prepare.sh, in order, with the message printed when one fails. */
const ATTRIBUTE_STEPS: [PrepareStep, string, string, string][] = [
  ["persistent", "persistent", "OFF", "Couldn't disable the persistent attribute - ignoring"],
  ["no-rc-script", "no-rc-script", "ON", "Couldn't enable the no-rc-script attribute - ignoring"],
  // prepare.sh prints the no-rc-script text for prunable too.
  ["prunable", "prunable", "ON", "Couldn't enable the no-rc-script attribute - ignoring"],
  ["localhost-tunnel", "localhost-tunnel", "YES", "Couldn't enable the localhost-tunnel attribute - ignoring"],
  ["no-etc-hosts", "no-etc-hosts", "YES", "Couldn't disable the enrichment of /etc/hosts - ignoring"],
  ["no-tmpfs", "no-tmpfs", "YES", "Couldn't disable tmpfs for /tmp - ignoring"],
];

/** Creates the verb with the knob (if any) that makes some steps fail with pot's "- ignoring" messages. */
export function prepareWith(knob: Knob | undefined): Verb {
  const failing = new Set<PrepareStep>(knob?.action === "ignoring" ? (knob.steps ?? []) : []);
  const allFail = knob?.action === "ignoring" && (knob.steps === undefined || knob.steps.length === 0);
  const fails = (step: PrepareStep) => allFail || failing.has(step);

  return async (sim: Sim, args: string[]) => {
    let image = "";
    let url = "";
    let tag = "";
    let allocId = "";
    let name = "";
    let command = "";
    let networkType: string | undefined;
    let bridge: string | undefined;
    let stack: string | undefined;
    let dns: string | undefined;
    let pubkey = sim.env.POT_DEFAULT_SIGNATURE_PUBKEY ?? "";
    let autoStart = false;
    const ips: string[] = [];
    const ports: string[] = [];
    const fail = (message: string, help = true) => {
      sim.out.error(message);
      if (help) printHelp(sim.out, "prepare");
      exit(1);
    };
    parseOptions(sim, "prepare", args, "hvp:U:t:c:e:a:n:sN:i:B:S:d:C:", (option, value) => {
      switch (option) {
        case "p":
          image = value;
          break;
        case "U":
          url = value;
          break;
        case "t":
          tag = value;
          break;
        case "c":
          command = value;
          break;
        case "a":
          allocId = value;
          break;
        case "n":
          name = value;
          break;
        case "e":
          if (!isExportPortValid(value)) fail(`${value} is not a valid port number`);
          ports.push(...value.split(/\s+/).filter((p) => p !== ""));
          break;
        case "s":
          autoStart = true;
          break;
        case "N":
          networkType = value === "host" ? "inherit" : value;
          if (!NETWORK_TYPES.includes(networkType)) fail(`Network type ${networkType} not recognized`);
          break;
        case "B":
          bridge = value;
          break;
        case "i":
          ips.push(...value.split(/\s+/).filter((ip) => ip !== ""));
          break;
        case "S":
          if (!["ipv4", "ipv6", "dual"].includes(value)) fail(`Network stack ${value} not valid`);
          stack = value;
          break;
        case "d":
          if (["inherit", "pot", "off"].includes(value)) dns = value;
          else if (value.startsWith("custom:")) {
            if (!existsSync(value.slice("custom:".length)))
              fail(`The file ${value.slice("custom:".length)} is not valid or readable`, false);
            dns = value;
          } else fail(`'' is not a valid dns option`);
          break;
        case "C":
          pubkey = value;
          break;
      }
    });
    if (image === "") fail("A pot name is mandatory");
    if (tag === "") fail("A tag is mandatory");
    if (allocId === "") fail("An allocation id is mandatory");
    if (networkType === "private-bridge" && (bridge === undefined || bridge === "")) {
      fail("A bridge name has to be provided if private-bridge is selected as network-type");
    }
    const imported = importedName(image, tag);
    const pot = `${name === "" ? imported : name}_${allocId}`.replaceAll(".", "_");
    if (isPot(sim, pot, true)) fail(`A pot with name ${pot} already exists`);
    if (!isPot(sim, imported, true)) {
      const importArgs = ["-U", url, "-t", tag, "-p", image, "-C", pubkey];
      // An empty -U is import's own error ("Argument of -U cannot be empty").
      await importImage(sim, importArgs);
      if (!isPot(sim, imported, true)) fail("imported pot is weirdly not found after import - cannot proceed", false);
    } else {
      sim.out.debug(`pot ${imported} already imported - reusing it`);
    }
    clonePot(sim, imported, pot, { networkType, ips, bridge: networkType === "private-bridge" ? bridge : undefined, stack, dns });
    if (command !== "") {
      if (fails("set-cmd") || (await setCmd(sim, ["-p", pot, "-c", command])) !== 0) {
        sim.out.error(`Couldn't set the command ${command} ot the pot - ignoring`);
      }
    }
    for (const [step, attribute, value, message] of ATTRIBUTE_STEPS) {
      if (fails(step) || (await setAttribute(sim, ["-A", attribute, "-V", value, "-p", pot])) !== 0) sim.out.error(message);
    }
    if (ports.length > 0) {
      const portArgs = [...ports].reverse().flatMap((spec) => ["-e", spec]);
      if (fails("export-ports") || (await exportPorts(sim, ["-p", pot, ...portArgs])) !== 0) {
        sim.out.error(`Couldn't export ports ${ports.join(" ")} - ignoring`);
      }
    }
    if (autoStart) {
      sim.out.debug(`Auto starting the pot ${pot}`);
      if ((await start(sim, [pot])) !== 0) {
        sim.out.error(`pot ${pot} failed to start`);
        await stopPot(sim, pot, false);
        exit(1);
      }
    } else {
      sim.out.info(`Prepared the pot ${pot}`);
    }
    return 0;
  };
}
