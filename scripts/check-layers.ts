// The layer rule of src/ as an explicit allow-list (docs/architecture.md): for every folder of src/ and every
// file at its root, the units it may import from. Every .ts file under src/ is checked; an import into a unit
// not on its list, a folder or root file the table does not name, and a table entry with nothing behind it all
// fail. Imports inside one unit, of npm packages and of node: builtins are not layer concerns.
//
//   bun scripts/check-layers.ts [--src <dir>]     prints every violation; exit 1 if there is any
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/**
 * Unit → the units it may import. A unit is a folder of src/ ("driver/", everything below it included) or a
 * file at the root of src/ ("version.ts"); a target outside src/ is named by its path from src/ ("../package.json").
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  // The go-plugin host: handshake, serving, go-plugin's own services. Knows nothing of Nomad's services, which
  // app/ registers on its server.
  "host/": ["log/"],
  // Nomad's services (BasePlugin, Driver) and their conversions; every process they need (exec streaming too)
  // is the driver's.
  "plugin/": ["driver/", "log/", "support/"],
  // The decisions; reaches processes only through its ports (driver/ports.ts), which app/ connects.
  "driver/": ["pot/", "log/", "support/", "version.ts"],
  // pot and the supervisor are independent of each other and of everything above them.
  "pot/": ["log/", "support/"],
  "supervisor/": ["log/", "support/"],
  // Logging; below everything but the host rules.
  "log/": ["support/"],
  // Host rules more than one layer needs (children's environment, absolute paths, signal numbers, wait statuses);
  // imports nothing.
  "support/": [],
  // Operator commands.
  "cli/": ["driver/", "pot/", "supervisor/", "log/", "support/"],
  // The wiring: the entry point and what builds the driver from its parts; nothing imports it.
  "app/": ["cli/", "driver/", "host/", "log/", "plugin/", "pot/", "supervisor/", "version.ts"],
  "version.ts": ["../package.json"],
};

export interface Violation {
  /** Path from the repository (or the checked directory's parent), with a line number when there is one. */
  where: string;
  message: string;
}

export interface LayerReport {
  files: number;
  imports: number;
  violations: Violation[];
}

/** Static import/export-from statements, `import type` included; they start a line in formatted code. */
const STATIC_IMPORT = /^[ \t]*(?:import|export)\b[^;'"`/]*?\bfrom\s*["']([^"']+)["']/gm;
/** Side-effect imports: `import "x";`. */
const BARE_IMPORT = /^[ \t]*import\s*["']([^"']+)["']/gm;

const transpiler = new Bun.Transpiler({ loader: "ts" });

/** Every module specifier of a TypeScript source with the line it is on (1-based; 0 when not found). */
export function importsOf(source: string): { specifier: string; line: number }[] {
  const found = new Map<string, number>();
  const lineAt = (offset: number): number => source.slice(0, offset).split("\n").length;
  for (const pattern of [STATIC_IMPORT, BARE_IMPORT]) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier !== undefined && !found.has(specifier)) found.set(specifier, lineAt(match.index ?? 0));
    }
  }
  // Bun's parser finds what a line-anchored pattern cannot: dynamic import() and require(). It drops type-only
  // imports, which the patterns above cover.
  for (const { path } of transpiler.scanImports(source)) {
    if (found.has(path)) continue;
    const at = Math.max(source.indexOf(`"${path}"`), source.indexOf(`'${path}'`));
    found.set(path, at >= 0 ? lineAt(at) : 0);
  }
  return [...found].map(([specifier, line]) => ({ specifier, line }));
}

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFilesUnder(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** The unit a path inside srcDir belongs to, or its path from srcDir when it lies outside. */
function unitOf(srcDir: string, path: string): string {
  const rel = relative(srcDir, path);
  if (rel.startsWith("..")) return rel.split(sep).join("/");
  const [first, ...rest] = rel.split(sep);
  if (rest.length > 0) return `${first}/`;
  if (existsSync(path) && statSync(path).isDirectory()) return `${first}/`;
  if (!first?.endsWith(".ts") && existsSync(`${path}.ts`)) return `${first}.ts`;
  return first ?? rel;
}

/** Checks every .ts file under srcDir against `layers`. */
export function checkLayers(srcDir: string, layers: Readonly<Record<string, readonly string[]>> = LAYERS): LayerReport {
  const root = resolve(srcDir);
  const shown = (path: string): string => relative(dirname(root), path).split(sep).join("/");
  const shownUnit = (unit: string): string => `${shown(root)}/${unit}`;
  const violations: Violation[] = [];

  const present = new Set<string>();
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    present.add(entry.isDirectory() ? `${entry.name}/` : entry.name);
  }
  for (const unit of [...present].sort()) {
    if (!(unit in layers)) {
      violations.push({ where: shownUnit(unit), message: "not in the layer table (scripts/check-layers.ts)" });
    }
  }
  for (const unit of Object.keys(layers)) {
    if (!present.has(unit)) {
      violations.push({ where: shownUnit(unit), message: "listed in the layer table but absent" });
    }
  }

  const files = tsFilesUnder(root);
  let imports = 0;
  for (const file of files) {
    const from = unitOf(root, file);
    const allowed = layers[from];
    if (allowed === undefined) continue; // reported above
    for (const { specifier, line } of importsOf(readFileSync(file, "utf8"))) {
      if (!specifier.startsWith(".") && !specifier.startsWith("/")) continue; // a package or a builtin
      imports++;
      const target = unitOf(root, resolve(dirname(file), specifier));
      if (target === from || allowed.includes(target)) continue;
      const may = allowed.length > 0 ? allowed.join(", ") : "nothing";
      violations.push({
        where: `${shown(file)}:${line}`,
        message: `imports "${specifier}" (${target}), but src/${from} may import only: ${may}`,
      });
    }
  }
  return { files: files.length, imports, violations };
}

function main(argv: string[]): number {
  const at = argv.indexOf("--src");
  const given = at >= 0 ? argv[at + 1] : undefined;
  const srcDir = given ? given : join(import.meta.dir, "..", "src");
  if (!existsSync(srcDir)) {
    process.stderr.write(`check-layers: no such directory: ${srcDir}\n`);
    return 2;
  }
  const report = checkLayers(srcDir);
  for (const { where, message } of report.violations) process.stdout.write(`layer violation: ${where}: ${message}\n`);
  if (report.violations.length > 0) {
    process.stdout.write(`${report.violations.length} layer violation(s) in ${report.files} files\n`);
    return 1;
  }
  process.stdout.write(`no layer violations: ${report.imports} imports in ${report.files} files\n`);
  return 0;
}

if (import.meta.main) process.exit(main(process.argv.slice(2)));
