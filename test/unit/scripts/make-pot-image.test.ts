// scripts/make-pot-image.sh cannot make an image off FreeBSD; its dry run (-n) prints the exact pot commands it
// would run, one per line with every word quoted, which is what these tests check (argv, order, quoting).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve(import.meta.dir, "../../../scripts/make-pot-image.sh");

let files: string;

beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), "image-files-"));
  mkdirSync(join(files, "usr/local/bin"), { recursive: true });
  writeFileSync(join(files, "usr/local/bin/finish"), '#!/bin/sh\nexit "$1"\n');
  writeFileSync(join(files, "usr/local/bin/it's here"), "x\n");
  chmodSync(join(files, "usr/local/bin/finish"), 0o755);
});

afterAll(() => {
  rmSync(files, { recursive: true, force: true });
});

function script(args: string[]): { exitCode: number; stdout: string; stderr: string } {
  const proc = Bun.spawnSync(["sh", SCRIPT, ...args], { stdout: "pipe", stderr: "pipe" });
  return { exitCode: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

describe("make-pot-image.sh -n", () => {
  test("prints create, one copy-in per file, set-cmd, snapshot, export, destroy, then the image variables", () => {
    const run = script([
      "-n",
      "-P",
      "/usr/local/bin/pot",
      "-b",
      "14.3",
      "-p",
      "FBSD120-nginx",
      "-t",
      "1.0",
      "-f",
      files,
      "-c",
      "nginx -g 'daemon off;'",
      "/tmp/images",
    ]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split("\n")).toEqual([
      "/usr/local/bin/pot 'create' '-p' 'FBSD120-nginx' '-b' '14.3' '-t' 'single'",
      `/usr/local/bin/pot 'copy-in' '-c' '-p' 'FBSD120-nginx' '-s' '${files}/usr/local/bin/finish' '-d' '/usr/local/bin/finish'`,
      `/usr/local/bin/pot 'copy-in' '-c' '-p' 'FBSD120-nginx' '-s' '${files}/usr/local/bin/it'\\''s here' '-d' '/usr/local/bin/it'\\''s here'`,
      "/usr/local/bin/pot 'set-cmd' '-p' 'FBSD120-nginx' '-c' 'nginx -g '\\''daemon off;'\\'''",
      "/usr/local/bin/pot 'snapshot' '-p' 'FBSD120-nginx'",
      "/usr/local/bin/pot 'export' '-p' 'FBSD120-nginx' '-t' '1.0' '-D' '/tmp/images'",
      "/usr/local/bin/pot 'destroy' '-p' 'FBSD120-nginx'",
      "POT_TEST_IMAGE_URL=file:///tmp/images",
      "POT_TEST_IMAGE_NAME=FBSD120-nginx",
      "POT_TEST_IMAGE_TAG=1.0",
      "",
    ]);
  });

  test("without files or a command there is no copy-in or set-cmd", () => {
    const run = script(["-n", "-b", "14.3", "/tmp/images"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain("copy-in");
    expect(run.stdout).not.toContain("set-cmd");
    expect(run.stdout).toContain("/usr/local/bin/pot 'export' '-p' 'FBSD120-nginx' '-t' '1.0' '-D' '/tmp/images'\n");
  });

  test.each([
    [["-n", "-p", "bad name", "/tmp/i"], "bad image name 'bad name'"],
    [["-n", "-t", "1/0", "/tmp/i"], "bad tag '1/0'"],
    [["-n", "images"], "OUTDIR must be an absolute path (got 'images')"],
    [["-n", "-f", "/nonexistent-files", "/tmp/i"], "-f /nonexistent-files is not a directory"],
  ])("refuses %p: %s", (args, message) => {
    const run = script(args);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe("");
  });

  test.skipIf(process.platform === "freebsd")("without -n off FreeBSD it refuses and runs nothing", () => {
    const run = script(["-P", "/bin/false", "/tmp/images-never-made"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("real pot images are made on FreeBSD (this is Linux)");
    expect(run.stdout).toBe("");
  });

  test("bad usage exits 2", () => {
    expect(script(["-n"]).exitCode).toBe(2);
    expect(script(["-x", "/tmp/i"]).exitCode).toBe(2);
  });
});
