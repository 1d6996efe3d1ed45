// scripts/build.sh refuses a Bun older than the one the FreeBSD facts in docs/freebsd.md hold for, and reports
// sizes without GNU stat. A stub bun stands in for the real one: it prints a version and writes the outfile.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const BUILD_SH = resolve(import.meta.dir, "../../../scripts/build.sh");

let work: string;

beforeAll(() => {
  // A scratch copy of the script's neighbourhood: it cds to the repository root (the script's parent's parent).
  work = mkdtempSync(join(tmpdir(), "build-sh-"));
  mkdirSync(join(work, "scripts"));
  cpSync(BUILD_SH, join(work, "scripts", "build.sh"));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function stubBun(version: string): string {
  const path = join(work, `bun-${version}`);
  // `build … --outfile OUT` writes 12345 bytes to OUT; `--version` prints the version.
  writeFileSync(
    path,
    `#!/bin/sh\nif [ "$1" = --version ]; then echo "${version}"; exit 0; fi\nwhile [ $# -gt 0 ]; do if [ "$1" = --outfile ]; then head -c 12345 /dev/zero >"$2"; fi; shift; done\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

function build(version: string): { exitCode: number; stdout: string; stderr: string } {
  rmSync(join(work, "dist"), { recursive: true, force: true });
  const proc = Bun.spawnSync(["bash", join(work, "scripts", "build.sh"), "freebsd-x64"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BUN: stubBun(version) },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

describe("scripts/build.sh", () => {
  test.each(["1.4.0", "1.3.14", "1.3.5", "0.9.9"])("refuses bun %s, naming the minimum, and builds nothing", (version) => {
    const run = build(version);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`bun ${version} is too old: the FreeBSD builds need bun 1.4.1 or newer`);
    expect(existsSync(join(work, "dist", "pot-task-driver-freebsd-x64"))).toBe(false);
  });

  test.each(["1.4.1", "1.4.4", "1.10.0", "2.0.0", "1.4.5-canary.3"])("builds with bun %s and prints the size", (version) => {
    const run = build(version);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("built dist/pot-task-driver-freebsd-x64 (12345 bytes)\n");
  });
});
