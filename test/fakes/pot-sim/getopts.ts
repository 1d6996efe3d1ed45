// POSIX getopts for the simulator: combined flags, `--`, stop at the first operand, errors as sh reports them.

export type ParsedOption =
  | { name: string; value: string | undefined }
  | { name: "?"; problem: "illegal" | "missing-argument"; flag: string };

export interface GetoptsResult {
  /** Options in command-line order; parsing stops after the first problem, as a `while getopts` loop would. */
  options: ParsedOption[];
  /** Operands after the options (`--` removed). */
  operands: string[];
}

/**
 * Parses `args` against an optstring such as `hvp:U:` (a letter followed by `:` takes an argument, attached
 * or as the next word). Like sh's getopts, parsing ends at the first word that is not an option, at `-`, or
 * after `--`.
 */
export function getopts(args: readonly string[], optstring: string): GetoptsResult {
  const takesArgument = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const ch = optstring[i];
    if (ch === undefined || ch === ":") continue;
    takesArgument.set(ch, optstring[i + 1] === ":");
  }
  const options: ParsedOption[] = [];
  let index = 0;
  while (index < args.length) {
    const word = args[index];
    if (word === undefined) break;
    if (word === "--") {
      index++;
      break;
    }
    if (!word.startsWith("-") || word === "-") break;
    index++;
    for (let j = 1; j < word.length; j++) {
      const flag = word[j] as string;
      const needsArgument = takesArgument.get(flag);
      if (needsArgument === undefined) {
        options.push({ name: "?", problem: "illegal", flag });
        return { options, operands: args.slice(index) };
      }
      if (!needsArgument) {
        options.push({ name: flag, value: undefined });
        continue;
      }
      const attached = word.slice(j + 1);
      if (attached !== "") {
        options.push({ name: flag, value: attached });
      } else if (index < args.length) {
        options.push({ name: flag, value: args[index] });
        index++;
      } else {
        options.push({ name: "?", problem: "missing-argument", flag });
        return { options, operands: [] };
      }
      break;
    }
  }
  return { options, operands: args.slice(index) };
}

/** The complaint FreeBSD's sh prints on stderr for a getopts problem. */
export function getoptsComplaint(option: Extract<ParsedOption, { name: "?" }>): string {
  return option.problem === "illegal" ? `Illegal option -${option.flag}` : `No arg for -${option.flag} option`;
}
