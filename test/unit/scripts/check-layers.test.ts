// scripts/check-layers.ts: the real src/ passes, and a copy of it with one wrong import planted (of each kind the
// checker must see), an unlisted folder or root file, or a missing listed unit fails with the culprit named.
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLayers, importsOf } from "../../../scripts/check-layers.ts";

const REPO_ROOT = join(import.meta.dir, "../../..");
const BUN = process.execPath;

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh copy of src/ in a temp dir; returns the copy's src path. */
function copyOfSrc(): string {
  const dir = mkdtempSync(join(tmpdir(), "check-layers-"));
  temps.push(dir);
  cpSync(join(REPO_ROOT, "src"), join(dir, "src"), { recursive: true });
  return join(dir, "src");
}

function run(srcDir: string): { exitCode: number; stdout: string } {
  const result = Bun.spawnSync([BUN, join(REPO_ROOT, "scripts/check-layers.ts"), "--src", srcDir]);
  return { exitCode: result.exitCode, stdout: result.stdout.toString() };
}

describe("the command", () => {
  test("passes on an unchanged copy of src/ and fails once a wrong import is planted", () => {
    const src = copyOfSrc();
    const clean = run(src);
    expect(clean.stdout).toMatch(/^no layer violations: \d+ imports in \d+ files$/m);
    expect(clean.exitCode).toBe(0);

    const naming = join(src, "pot/naming.ts");
    const line = readFileSync(naming, "utf8").split("\n").length + 1;
    appendFileSync(naming, '\nimport { bundleDirFor } from "../supervisor/bundle";\n');
    const planted = run(src);
    expect(planted.exitCode).toBe(1);
    expect(planted.stdout).toContain(
      `layer violation: src/pot/naming.ts:${line}: imports "../supervisor/bundle" (supervisor/), but src/pot/ may import only: log/`,
    );
    expect(planted.stdout).toContain("1 layer violation(s)");
  });
});

describe("wrong imports of every form", () => {
  const planted: [string, string, string, string][] = [
    ["a value import", "supervisor/ps.ts", 'import { PotCli } from "../pot/pot-cli";', "pot/"],
    ["a type-only import", "pot/naming.ts", 'import type { ExitRecord } from "../supervisor/exit-record.ts";', "supervisor/"],
    ["a multi-line import", "log/logger.ts", 'import {\n  DriverError,\n  type DriverErrorKind,\n} from "../driver/errors";', "driver/"],
    ["a re-export", "supervisor/poll.ts", 'export { DRIVER_NAME } from "../driver/driver";', "driver/"],
    ["a side-effect import", "pot/runner.ts", 'import "../plugin/status";', "plugin/"],
    ["a dynamic import", "driver/events.ts", 'export const later = () => import("../plugin/status");', "plugin/"],
    ["a require call", "cli/table.ts", 'export const early = require("../plugin/convert");', "plugin/"],
    ["an import of a root file", "pot/errors.ts", 'import { VERSION } from "../version";', "version.ts"],
    ["an import of the wiring", "driver/events.ts", 'import { supervisionFromSupervisor } from "../app/supervision-adapter.ts";', "app/"],
    [
      "the go-plugin host importing Nomad's services",
      "host/serve.ts",
      'import { driverServer } from "../plugin/driver-service.ts";',
      "plugin/",
    ],
    [
      "Nomad's services starting pot exec themselves",
      "plugin/exec-stream.ts",
      'import { startExecSession } from "../pot/exec-session.ts";',
      "pot/",
    ],
    [
      "Nomad's services reaching the supervisor",
      "plugin/convert.ts",
      'import type { SupervisedProcess } from "../supervisor/client.ts";',
      "supervisor/",
    ],
    ["a root file importing above its list", "version.ts", 'import { toServiceError } from "./plugin/status";', "plugin/"],
  ];
  for (const [what, file, statement, target] of planted) {
    test(`${what} is found`, () => {
      const src = copyOfSrc();
      appendFileSync(join(src, file), `\n${statement}\n`);
      const { violations } = checkLayers(src);
      expect(violations).toHaveLength(1);
      expect(violations[0]?.where).toStartWith(`src/${file}:`);
      expect(violations[0]?.message).toContain(`(${target})`);
    });
  }

  test("imports inside one unit, of packages and of builtins are not layer concerns", () => {
    const src = copyOfSrc();
    appendFileSync(
      join(src, "pot/naming.ts"),
      '\nimport { parsePotVersion } from "./parse";\nimport { z } from "zod";\nimport { cpus } from "node:os";\n',
    );
    expect(checkLayers(src).violations).toEqual([]);
  });
});

describe("the table covers src/ exactly", () => {
  test("a folder the table does not list fails, and so do the imports of its files", () => {
    const src = copyOfSrc();
    mkdirSync(join(src, "extras"));
    writeFileSync(join(src, "extras/wiring.ts"), 'import { PotDriver } from "../driver/driver";\n');
    const { violations } = checkLayers(src);
    expect(violations).toEqual([{ where: "src/extras/", message: "not in the layer table (scripts/check-layers.ts)" }]);
    appendFileSync(join(src, "app/main.ts"), '\nimport "../extras/wiring";\n');
    expect(checkLayers(src).violations.map((v) => v.where)).toEqual(["src/extras/", expect.stringMatching(/^src\/app\/main\.ts:\d+$/)]);
  });

  test("a root file the table does not list fails", () => {
    const src = copyOfSrc();
    writeFileSync(join(src, "extra.ts"), "export const EXTRA = 1;\n");
    expect(checkLayers(src).violations).toEqual([{ where: "src/extra.ts", message: "not in the layer table (scripts/check-layers.ts)" }]);
  });

  test("a listed unit that is gone fails", () => {
    const src = copyOfSrc();
    rmSync(join(src, "app"), { recursive: true });
    expect(checkLayers(src).violations).toContainEqual({
      where: "src/app/",
      message: "listed in the layer table but absent",
    });
  });
});

describe("importsOf", () => {
  test("reports each specifier once with its line, and ignores imports quoted in comments", () => {
    const source = [
      'import { a } from "./a";',
      '// Not an import: data read from "../b" (a comment).',
      "import type {",
      "  C,",
      '} from "../c";',
      'const d = await import("../d");',
      'import { a as a2 } from "./a";',
    ].join("\n");
    expect(importsOf(source)).toEqual([
      { specifier: "./a", line: 1 },
      { specifier: "../c", line: 3 },
      { specifier: "../d", line: 6 },
    ]);
  });
});
