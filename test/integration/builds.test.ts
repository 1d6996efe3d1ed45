// The shipped FreeBSD executables are FreeBSD ELF files for the right CPU (checked with file(1)).
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../support/plugin.ts";

const TARGETS: Array<[string, RegExp]> = [
  ["freebsd-x64", /ELF 64-bit LSB executable, x86-64, .*\(FreeBSD\).*for FreeBSD \d+/],
  ["freebsd-arm64", /ELF 64-bit LSB executable, ARM aarch64, .*\(FreeBSD\).*for FreeBSD \d+/],
  ["linux-x64", /ELF 64-bit LSB executable, x86-64, .*\(SYSV\).*GNU\/Linux/],
];

describe("builds", () => {
  for (const [target, pattern] of TARGETS) {
    test(`dist/pot-task-driver-${target} is the right executable`, () => {
      const path = join(REPO_ROOT, "dist", `pot-task-driver-${target}`);
      if (!existsSync(path)) {
        const build = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/build.sh"), target], { stdout: "pipe", stderr: "pipe" });
        expect(build.exitCode).toBe(0);
      }
      const out = Bun.spawnSync(["file", "-b", path], { stdout: "pipe" }).stdout.toString();
      expect(out).toMatch(pattern);
    });
  }
});
