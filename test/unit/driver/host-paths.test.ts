// Tests for checkAllocDirMounts (src/driver/host-paths.ts): task-directory mount sources must not lead out of
// the allocation directory through a symlink a task planted.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAllocDirMounts } from "../../../src/driver/host-paths.ts";

const work = mkdtempSync(join(tmpdir(), "alloc-mounts-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function alloc(name: string): string {
  const dir = join(work, name);
  for (const sub of ["web/local", "web/secrets", "alloc/logs"]) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

const mountsOf = (dir: string) => [`${dir}/web/local`, `${dir}/web/secrets`, `${dir}/alloc`, `${dir}/alloc/logs`];

describe("checkAllocDirMounts", () => {
  test("plain directories pass", async () => {
    const dir = alloc("plain");
    expect(await checkAllocDirMounts(mountsOf(dir), dir)).toEqual([]);
  });

  test("alloc/logs replaced by a symlink to a host directory is refused, naming both", async () => {
    const dir = alloc("logs-link");
    const host = join(work, "host-secret");
    mkdirSync(host, { recursive: true });
    rmSync(join(dir, "alloc/logs"), { recursive: true });
    symlinkSync(host, join(dir, "alloc/logs"));
    expect(await checkAllocDirMounts(mountsOf(dir), dir)).toEqual([
      `${dir}/alloc/logs leads to ${host}: a symlink inside the allocation directory`,
    ]);
  });

  test("a symlink in the operator's part of the path (above the alloc dir) is trusted", async () => {
    const dir = alloc("real");
    const linked = join(work, "linked");
    symlinkSync(dir, linked);
    expect(await checkAllocDirMounts(mountsOf(linked), linked)).toEqual([]);
  });

  test("sources outside the alloc dir and missing ones are left to the other checks and to pot", async () => {
    const dir = alloc("other");
    expect(await checkAllocDirMounts(["/etc", `${dir}/alloc/missing`], dir)).toEqual([]);
  });
});
