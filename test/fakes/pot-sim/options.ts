// A subcommand's `while getopts … case` loop: -h prints help and exits 0, -v raises verbosity, a getopts
// problem prints sh's complaint on stderr plus the help text and exits 1.
import type { Sim } from "./context.ts";
import { getopts, getoptsComplaint } from "./getopts.ts";
import { printHelp } from "./help.ts";
import { exit } from "./output.ts";

/** Feeds every other option to `handle` in command-line order; returns the operands. */
export function parseOptions(
  sim: Sim,
  verb: string,
  args: readonly string[],
  optstring: string,
  handle: (name: string, value: string) => void,
): string[] {
  const { options, operands } = getopts(args, optstring);
  for (const option of options) {
    if (option.name === "?") {
      if ("problem" in option) sim.out.stderr(getoptsComplaint(option));
      printHelp(sim.out, verb);
      exit(1);
    }
    if (option.name === "h") {
      printHelp(sim.out, verb);
      exit(0);
    }
    if (option.name === "v") {
      sim.out.verbosity++;
      continue;
    }
    handle(option.name, "value" in option ? (option.value ?? "") : "");
  }
  return operands;
}
