// rc.conf(5) reading for the doctor (cli layer, pure): `name=value` assignments as sh would leave them.

export interface RcAssignment {
  value: string;
  /** 1-based line of the assignment that set the value (the last one). */
  line: number;
}

/**
 * The variables a list of `name=value` lines assigns. Understands what rc.conf files contain in practice:
 * double-quoted values (backslash escapes `\"`, `\\`, `\$`, `` \` ``), single-quoted values, unquoted words,
 * concatenations of those, and `#` comments. Later assignments override earlier ones. Parameter expansions
 * (`${x}`) are kept as written, not expanded. Lines that are not a plain assignment (`. file`, `if`, `export x`,
 * an unterminated quote) are skipped, never guessed at.
 */
export function parseRcConf(text: string): Map<string, RcAssignment> {
  const vars = new Map<string, RcAssignment>();
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw);
    if (match === null) continue;
    const value = shellWord(match[2] as string);
    if (value !== undefined) vars.set(match[1] as string, { value, line: index + 1 });
  }
  return vars;
}

/** The value of one sh word followed by optional blanks and a comment; undefined when it is not one word. */
function shellWord(text: string): string | undefined {
  let value = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return undefined;
      value += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        const inner = text[i] as string;
        if (inner === '"') break;
        if (inner === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        value += inner;
        i++;
      }
      i++;
    } else if (ch === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
    } else if (ch === " " || ch === "\t") {
      const rest = text.slice(i).trim();
      return rest === "" || rest.startsWith("#") ? value : undefined;
    } else if (ch === ";" || ch === "&" || ch === "|") {
      return undefined;
    } else {
      value += ch;
      i++;
    }
  }
  return value;
}

/** Splits a `nomad_env`-style value (`PATH=/a:/b LANG=C`) into its variables. */
export function parseEnvList(value: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const word of value.split(/\s+/)) {
    const eq = word.indexOf("=");
    if (eq > 0) env.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return env;
}

/**
 * The agent flags in a `nomad_args`-style value that name configuration (`-config`, repeatable), the plugin
 * directory (`-plugin-dir`) and the data directory (`-data-dir`), in `-flag=value` or `-flag value` form, with
 * one or two dashes. For a repeated single-valued flag the last one wins, as with Go's flag package.
 */
export function nomadArgsPaths(value: string): { configPaths: string[]; pluginDir?: string; dataDir?: string } {
  const words = value.split(/\s+/).filter((word) => word !== "");
  const result: { configPaths: string[]; pluginDir?: string; dataDir?: string } = { configPaths: [] };
  for (let i = 0; i < words.length; i++) {
    const match = /^--?(config|plugin-dir|data-dir)(?:=(.*))?$/.exec(words[i] as string);
    if (match === null) continue;
    const flagValue = match[2] ?? words[++i];
    if (flagValue === undefined || flagValue === "") continue;
    if (match[1] === "config") result.configPaths.push(flagValue);
    else if (match[1] === "plugin-dir") result.pluginDir = flagValue;
    else result.dataDir = flagValue;
  }
  return result;
}
