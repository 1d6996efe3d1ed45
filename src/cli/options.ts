// Command-line options of the operator commands (cli layer, pure): `--name value`, `--name=value`, lists, flags.

/**
 * How an option takes its value:
 * - "value": one value (`--pot-path P` or `--pot-path=P`); given twice, the last wins;
 * - "list": one or more values; `--agent-config A B` takes every following word up to the next `--option`,
 *   and the option may be repeated;
 * - "flag": no value.
 */
export type OptionKind = "value" | "list" | "flag";

export type OptionSpecs = Readonly<Record<string, OptionKind>>;

export interface ParsedOptions {
  values: Record<string, string>;
  lists: Record<string, string[]>;
  flags: Record<string, boolean>;
}

export type ParseOptionsResult = { ok: true; options: ParsedOptions } | { ok: false; error: string };

/**
 * Parses `argv` (the words after the command name) against `specs`, keyed by option name without dashes.
 * `-h`/`--help` sets the flag "help" whether or not specs declare it. Positional words and unknown options are
 * errors; so are empty values. Never throws.
 */
export function parseOptions(argv: readonly string[], specs: OptionSpecs): ParseOptionsResult {
  const options: ParsedOptions = { values: {}, lists: {}, flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "-h" || word === "--help") {
      options.flags.help = true;
      continue;
    }
    if (!word.startsWith("--") || word === "--") return { ok: false, error: `unexpected argument ${JSON.stringify(word)}` };
    const eq = word.indexOf("=");
    const name = word.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : word.slice(eq + 1);
    const kind = specs[name];
    if (kind === undefined) return { ok: false, error: `unknown option --${name}` };
    if (kind === "flag") {
      if (inline !== undefined) return { ok: false, error: `--${name} takes no value` };
      options.flags[name] = true;
      continue;
    }
    const taken: string[] = [];
    if (inline !== undefined) taken.push(inline);
    else {
      while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith("--") && argv[i + 1] !== "-h") {
        taken.push(argv[++i] as string);
        if (kind === "value") break;
      }
    }
    if (taken.length === 0) return { ok: false, error: `--${name} needs a value` };
    if (taken.some((value) => value === "")) return { ok: false, error: `--${name} needs a non-empty value` };
    if (kind === "value") options.values[name] = taken[0] as string;
    else options.lists[name] = [...(options.lists[name] ?? []), ...taken];
  }
  return { ok: true, options };
}

/** Where an operator command writes. */
export interface CommandOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * parseOptions for the operator command `command`, answering what the words alone decide: a parse error is
 * written to stderr with the usage (exit status 2), and -h/--help writes the usage to stdout (exit status 0).
 */
export function commandOptions(
  command: string,
  argv: readonly string[],
  specs: OptionSpecs,
  usage: string,
  io: CommandOutput,
): { ok: true; options: ParsedOptions } | { ok: false; exitCode: number } {
  const parsed = parseOptions(argv, specs);
  if (!parsed.ok) {
    io.stderr(`pot-task-driver ${command}: ${parsed.error}\n\n${usage}`);
    return { ok: false, exitCode: 2 };
  }
  if (parsed.options.flags.help) {
    io.stdout(usage);
    return { ok: false, exitCode: 0 };
  }
  return parsed;
}
