// Tests for physicalDir (src/supervisor/client.ts): where the supervisor requires a log path's directory to be.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { physicalDir } from "../../../src/supervisor/client.ts";

const work = realpathSync(mkdtempSync(join(tmpdir(), "physical-dir-")));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("below the trusted root: the root's real path plus the given components, never where a planted link leads", async () => {
  const real = join(work, "data", "alloc1");
  mkdirSync(join(real, "alloc"), { recursive: true });
  symlinkSync(join(work, "data"), join(work, "nomad"));
  const elsewhere = join(work, "elsewhere");
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(real, "alloc", "logs"));
  const root = join(work, "nomad", "alloc1");
  expect(await physicalDir(join(root, "alloc", "logs", ".web.stdout.fifo"), root)).toBe(join(real, "alloc", "logs"));
});

test("outside the trusted root, or without one: the directory as it resolves now", async () => {
  const dir = join(work, "plain");
  mkdirSync(dir);
  symlinkSync(dir, join(work, "plain-link"));
  expect(await physicalDir(join(work, "plain-link", "out"))).toBe(dir);
  expect(await physicalDir(join(work, "plain-link", "out"), join(work, "other"))).toBe(dir);
  expect(await physicalDir("/dev/null", join(work, "other"))).toBe("/dev");
});
