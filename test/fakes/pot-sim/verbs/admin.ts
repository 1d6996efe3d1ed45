// Administrative verbs: init (create the simulator root) and the internal set-status.
import { mkdirSync } from "node:fs";
import type { Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { parseOptions } from "../options.ts";
import { isPot } from "../pots.ts";
import { setStatus, STATUSES, type PotStatus } from "../status.ts";

/** `pot init`: creates $POT_SIM_ROOT and its directories (the datasets of a real init). */
export const init: Verb = (sim, args) => {
  parseOptions(sim, "init", args, "hvmsf:p:", () => {});
  for (const dir of [sim.paths.root, sim.paths.jails, sim.paths.tmp, sim.paths.cache, sim.paths.bridges, sim.paths.run]) {
    mkdirSync(dir, { recursive: true });
  }
  return 0;
};

/** `pot set-status -p <pot> -s <status> [-i ifaces]`: rc 0 done, 1 not allowed, 2 already there. */
export const setStatusVerb: Verb = async (sim, args) => {
  let pot = "";
  let status = "";
  let ifaces = "";
  parseOptions(sim, "set-status", args, "hvp:i:s:", (name, value) => {
    if (name === "p") pot = value;
    if (name === "i") ifaces = value;
    if (name === "s") {
      if ((STATUSES as readonly string[]).includes(value)) status = value;
      else sim.out.error(`${value} is not a valid status`);
    }
  });
  if (pot === "") {
    sim.out.error("A pot name is mandatory");
    printHelp(sim.out, "set-status");
    return 1;
  }
  if (!isPot(sim, pot)) {
    sim.out.error(`${pot} is not a pot`);
    return 1;
  }
  if (status === "") return 1;
  const result = await setStatus(sim, pot, status as PotStatus, ifaces);
  if (result.ifaces !== "") sim.out.print(result.ifaces);
  return result.rc;
};
