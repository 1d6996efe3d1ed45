// Reading the pot simulator's call log ($POT_SIM_ROOT/invocations.log, one JSON object per pot run).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Invocation {
  argv: string[];
}

export function readInvocations(simRoot: string): Invocation[] {
  let text: string;
  try {
    text = readFileSync(join(simRoot, "invocations.log"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Invocation);
}

/** The subcommand of a pot argv (its first word that is not a flag). */
export function verbOf(invocation: Invocation): string {
  return invocation.argv.find((arg) => !arg.startsWith("-")) ?? "(none)";
}

/** "14: prepare 1, copy-in 2, …" in order of first appearance. */
export function summarizeVerbs(invocations: readonly Invocation[]): string {
  const counts = new Map<string, number>();
  for (const inv of invocations) counts.set(verbOf(inv), (counts.get(verbOf(inv)) ?? 0) + 1);
  const parts = [...counts].map(([verb, n]) => `${verb} ${n}`);
  return `${invocations.length}: ${parts.join(", ")}`;
}
