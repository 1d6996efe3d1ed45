// scripts/check-gen.sh: the committed generated code (src/host/gen, src/plugin/gen) matches proto/, and a copy of
// it with one generated file edited or removed, on either side, fails the check with the file named.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TIMEOUT_MULTIPLIER } from "../../setup.ts";

const REPO_ROOT = join(import.meta.dir, "../../..");
const GEN_DIRS = ["src/host/gen", "src/plugin/gen"];
// Each check runs buf and ts-proto: a few seconds on a busy machine.
setDefaultTimeout(60_000 * TIMEOUT_MULTIPLIER);

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir laid out as the repository, holding a copy of every generated folder; returns its root. */
function copyOfGen(): string {
  const dir = mkdtempSync(join(tmpdir(), "check-gen-"));
  temps.push(dir);
  for (const gen of GEN_DIRS) cpSync(join(REPO_ROOT, gen), join(dir, gen), { recursive: true });
  return dir;
}

function checkGen(dir?: string): { exitCode: number; stdout: string } {
  const result = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/check-gen.sh"), ...(dir ? [dir] : [])]);
  return { exitCode: result.exitCode, stdout: result.stdout.toString() };
}

test("the committed generated code matches proto/", () => {
  const result = checkGen();
  expect(result.stdout).toMatch(/^generated code matches proto\/ \(\d+ files\)$/m);
  expect(result.exitCode).toBe(0);
});

test("an unchanged copy passes, so the failures below are the edits'", () => {
  expect(checkGen(copyOfGen()).exitCode).toBe(0);
});

test("an edited generated file fails the check", () => {
  const gen = copyOfGen();
  appendFileSync(join(gen, "src/plugin/gen/plugins/drivers/proto/driver.ts"), "export const handEdited = true;\n");
  const result = checkGen(gen);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("src/plugin/gen/plugins/drivers/proto/driver.ts");
  expect(result.stdout).toContain("+export const handEdited = true;");
  expect(result.stdout).toContain("differs from what proto/ generates");
});

test("a missing generated file fails the check", () => {
  const gen = copyOfGen();
  rmSync(join(gen, "src/plugin/gen/google/rpc/status.ts"));
  const result = checkGen(gen);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toMatch(/Only in .*google\/rpc: status\.ts/);
});

test("an edited file of the host's generated code fails the check", () => {
  const gen = copyOfGen();
  appendFileSync(join(gen, "src/host/gen/grpc/health/v1/health.ts"), "export const handEdited = true;\n");
  const result = checkGen(gen);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("src/host/gen/grpc/health/v1/health.ts");
  expect(result.stdout).toContain(`check-gen: ${gen}/src/host/gen differs from what proto/ generates`);
});
