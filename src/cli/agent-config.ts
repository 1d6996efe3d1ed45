// Nomad agent configuration scanning for the doctor (cli layer, pure): plugin blocks and plugin_dir, loosely.
//
// This is not an HCL parser. It tokenises enough of HCL (strings, heredocs, comments, braces) to find the
// top-level `plugin "<name>" { config { … } }` blocks and the top-level `plugin_dir` and `data_dir` attributes without being
// fooled by braces inside strings or comments; everything else is skipped.
import { describeError } from "../log/logger.ts";

export interface PluginBlock {
  /** The block's label: the plugin's executable name in plugin_dir. */
  name: string;
  /** Attributes of its `config` block: string values unquoted, other values (bools, numbers) as written. */
  config: Record<string, string>;
  /** 1-based line of the block (0 for JSON, where lines are not tracked). */
  line: number;
}

export interface AgentConfigScan {
  pluginBlocks: PluginBlock[];
  pluginDir?: string;
  /** Top-level data_dir: without plugin_dir, Nomad looks for plugins in <data_dir>/plugins. */
  dataDir?: string;
  /** Set when the text could not be read at all (JSON that does not parse). */
  error?: string;
}

/** Scans one agent configuration file; `.json` files are read as JSON, anything else as HCL. Never throws. */
export function scanAgentConfig(text: string, fileName: string): AgentConfigScan {
  return fileName.endsWith(".json") ? scanJson(text) : scanHcl(text);
}

type TokenType = "ident" | "string" | "lbrace" | "rbrace" | "lbrack" | "rbrack" | "eq" | "newline" | "other";

interface Token {
  type: TokenType;
  text: string;
  line: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const push = (type: TokenType, value: string, at = line) => tokens.push({ type, text: value, line: at });
  while (i < text.length) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === "\n") {
      push("newline", ch);
      line++;
      i++;
    } else if (ch === " " || ch === "\t" || ch === "\r") {
      i++;
    } else if (ch === "#" || (ch === "/" && next === "/")) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      line += countNewlines(text.slice(i, stop));
      i = stop;
    } else if (ch === '"') {
      const start = line;
      let value = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) {
          value += text[i + 1] === "n" ? "\n" : text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === "\n") line++;
        value += text[i];
        i++;
      }
      i++;
      push("string", value, start);
    } else if (ch === "<" && next === "<" && /^<<-?[A-Za-z_][A-Za-z0-9_]*\r?\n/.test(text.slice(i))) {
      const header = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(text.slice(i)) as RegExpExecArray;
      const marker = header[1] as string;
      const start = line;
      i += header[0].length;
      line++;
      const closing = new RegExp(`^[ \\t]*${marker}[ \\t]*$`, "m");
      const rest = text.slice(i);
      const found = closing.exec(rest);
      const body = found === null ? rest : rest.slice(0, found.index);
      line += countNewlines(body);
      i += found === null ? rest.length : found.index + found[0].length;
      push("string", body, start);
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i))?.[0] as string;
      push("ident", word);
      i += word.length;
    } else if (ch === "{" || ch === "}" || ch === "[" || ch === "]" || ch === "=") {
      push(ch === "{" ? "lbrace" : ch === "}" ? "rbrace" : ch === "[" ? "lbrack" : ch === "]" ? "rbrack" : "eq", ch);
      i++;
    } else {
      const word = /^[^\s{}[\]="#/<]+/.exec(text.slice(i))?.[0] ?? ch;
      push("other", word);
      i += word.length;
    }
  }
  return tokens;
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === "\n") n++;
  return n;
}

interface Block {
  type: string;
  labels: string[];
  line: number;
  attributes: Map<string, string>;
  blocks: Block[];
}

/** Parses a body up to its closing brace (or the end); returns the index after it. */
function parseBody(tokens: Token[], start: number, into: Block): number {
  let i = start;
  while (i < tokens.length) {
    const token = tokens[i] as Token;
    if (token.type === "rbrace") return i + 1;
    if (token.type !== "ident") {
      i = token.type === "lbrace" ? skipNested(tokens, i) : i + 1;
      continue;
    }
    const after = tokens[i + 1];
    if (after?.type === "eq") {
      // Attribute: its value runs to the end of the line, brackets and braces included.
      let j = i + 2;
      const value: Token[] = [];
      let depth = 0;
      while (j < tokens.length) {
        const t = tokens[j] as Token;
        if (depth === 0 && (t.type === "newline" || t.type === "rbrace")) break;
        if (t.type === "lbrace" || t.type === "lbrack") depth++;
        if (t.type === "rbrace" || t.type === "rbrack") depth--;
        value.push(t);
        j++;
      }
      if (value.length === 1 && (value[0]?.type === "string" || value[0]?.type === "ident" || value[0]?.type === "other")) {
        into.attributes.set(token.text, value[0].text);
      }
      i = j;
      continue;
    }
    // Block: an identifier, labels, then `{`.
    let j = i + 1;
    const labels: string[] = [];
    while (j < tokens.length && ((tokens[j] as Token).type === "string" || (tokens[j] as Token).type === "ident")) {
      labels.push((tokens[j] as Token).text);
      j++;
    }
    if (tokens[j]?.type !== "lbrace") {
      i = j;
      continue;
    }
    const block: Block = { type: token.text, labels, line: token.line, attributes: new Map(), blocks: [] };
    i = parseBody(tokens, j + 1, block);
    into.blocks.push(block);
  }
  return i;
}

/** Skips a `{ … }` that is not a block we read (e.g. an object value); returns the index after it. */
function skipNested(tokens: Token[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const type = (tokens[i] as Token).type;
    if (type === "lbrace") depth++;
    if (type === "rbrace" && --depth === 0) return i + 1;
  }
  return tokens.length;
}

function scanHcl(text: string): AgentConfigScan {
  const root: Block = { type: "", labels: [], line: 0, attributes: new Map(), blocks: [] };
  const tokens = tokenize(text);
  let i = 0;
  // A stray closing brace at the top level must not end the scan.
  while (i < tokens.length) i = parseBody(tokens, i, root);
  const scan: AgentConfigScan = { pluginBlocks: [] };
  for (const block of root.blocks) {
    if (block.type !== "plugin" || block.labels.length !== 1) continue;
    const config: Record<string, string> = {};
    for (const inner of block.blocks) {
      if (inner.type === "config" && inner.labels.length === 0) Object.assign(config, Object.fromEntries(inner.attributes));
    }
    scan.pluginBlocks.push({ name: block.labels[0] as string, config, line: block.line });
  }
  const pluginDir = root.attributes.get("plugin_dir");
  if (pluginDir !== undefined) scan.pluginDir = pluginDir;
  const dataDir = root.attributes.get("data_dir");
  if (dataDir !== undefined) scan.dataDir = dataDir;
  return scan;
}

/** Nomad's JSON config accepts a block as an object or as an array of objects. */
function objects(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objects);
  return typeof value === "object" && value !== null ? [value as Record<string, unknown>] : [];
}

function scanJson(text: string): AgentConfigScan {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    return { pluginBlocks: [], error: `not valid JSON: ${describeError(err)}` };
  }
  const scan: AgentConfigScan = { pluginBlocks: [] };
  for (const top of objects(root)) {
    for (const plugins of objects(top.plugin)) {
      for (const [name, body] of Object.entries(plugins)) {
        const config: Record<string, string> = {};
        for (const block of objects(body)) {
          for (const settings of objects(block.config)) {
            for (const [key, value] of Object.entries(settings)) {
              if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") config[key] = String(value);
            }
          }
        }
        scan.pluginBlocks.push({ name, config, line: 0 });
      }
    }
    if (typeof top.plugin_dir === "string") scan.pluginDir = top.plugin_dir;
    if (typeof top.data_dir === "string") scan.dataDir = top.data_dir;
  }
  return scan;
}
