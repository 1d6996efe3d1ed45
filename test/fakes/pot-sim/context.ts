// The state one simulated pot invocation carries: paths, message output, environment.
import type { Output } from "./output.ts";
import type { SimPaths } from "./paths.ts";

export interface Sim {
  paths: SimPaths;
  out: Output;
  env: NodeJS.ProcessEnv;
}

/** A pot subcommand: returns its status (pot's `return N`) or throws SimExit (pot's `${EXIT} N`). */
export type Verb = (sim: Sim, args: string[]) => Promise<number> | number;
