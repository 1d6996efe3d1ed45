// pot's own state files: where POT_TMP is (pot's configuration, read as pot sources it) and what the status and
// main pid files say.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assignedValue, locatePotStateDir, potConfPath, readMainPid, readPotAddress, readPotStatus } from "../../../src/pot/state-files.ts";

const root = mkdtempSync(join(tmpdir(), "pot-state-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function install(name: string, defaultConf: string | undefined, localConf?: string): string {
  const prefix = join(root, name);
  mkdirSync(join(prefix, "bin"), { recursive: true });
  mkdirSync(join(prefix, "etc", "pot"), { recursive: true });
  writeFileSync(join(prefix, "bin", "pot"), "#!/bin/sh\n", { mode: 0o755 });
  if (defaultConf !== undefined) writeFileSync(join(prefix, "etc", "pot", "pot.default.conf"), defaultConf);
  if (localConf !== undefined) writeFileSync(join(prefix, "etc", "pot", "pot.conf"), localConf);
  return join(prefix, "bin", "pot");
}

describe("locating POT_TMP", () => {
  test("pot.conf overrides pot.default.conf; environment references are expanded", async () => {
    const pot = install("a", "POT_FS_ROOT=/opt/pot\nPOT_TMP=/tmp\n", '# local\nPOT_TMP="${BASE}/pot-tmp" # moved\n');
    expect(await locatePotStateDir(pot, { BASE: "/var" })).toEqual({ tmpDir: "/var/pot-tmp", fsRoot: "/opt/pot" });
  });

  test("POT_FS_ROOT is located beside POT_TMP, pot.conf winning; left out when it is computed", async () => {
    const pot = install("h", "POT_FS_ROOT=/opt/pot\nPOT_TMP=/tmp\n", "POT_FS_ROOT=${ZROOT}/pot\n");
    expect(await locatePotStateDir(pot, { ZROOT: "/z" })).toEqual({ tmpDir: "/tmp", fsRoot: "/z/pot" });
    expect(await locatePotStateDir(install("i", "POT_FS_ROOT=`zfs get -H mountpoint`\n"), {})).toEqual({ tmpDir: "/tmp" });
  });

  test("the symlinked executable is resolved to its own prefix, as pot does", async () => {
    const pot = install("b", "POT_TMP='/srv/tmp'\n");
    const link = join(root, "pot-link");
    symlinkSync(pot, link);
    expect(await locatePotStateDir(link, {})).toEqual({ tmpDir: "/srv/tmp" });
  });

  test("no POT_TMP line means pot's built-in /tmp", async () => {
    expect(await locatePotStateDir(install("c", "POT_FS_ROOT=/opt/pot\n"), {})).toEqual({ tmpDir: "/tmp", fsRoot: "/opt/pot" });
  });

  test("unknown when the default file is missing or POT_TMP is computed", async () => {
    expect(await locatePotStateDir(install("d", undefined), {})).toBeUndefined();
    expect(await locatePotStateDir(install("e", "POT_TMP=$(mktemp -d)\n"), {})).toBeUndefined();
    expect(await locatePotStateDir(install("f", "POT_TMP=/tmp\n", ": ${POT_TMP:=/x}\n"), {})).toBeUndefined();
    expect(await locatePotStateDir(install("g", "POT_TMP=relative\n"), {})).toBeUndefined();
    expect(await locatePotStateDir(join(root, "nowhere", "bin", "pot"), {})).toBeUndefined();
  });

  test("assignment forms", () => {
    expect(assignedValue("POT_TMP=/a\nPOT_TMP=/b\n", "POT_TMP", {})).toBe("/b");
    expect(assignedValue("export POT_TMP=$X/t\n", "POT_TMP", { X: "/x" })).toBe("/x/t");
    expect(assignedValue("POT_TMP='$X'\n", "POT_TMP", { X: "/x" })).toBe("$X");
    expect(assignedValue("POT_TMP=`pwd`\n", "POT_TMP", {})).toBeNull();
    expect(assignedValue("# POT_TMP=/x\n", "POT_TMP", {})).toBeUndefined();
  });
});

describe("status and main pid files", () => {
  const dir = { tmpDir: join(root, "tmp") };
  mkdirSync(dir.tmpDir, { recursive: true });

  test("the last pot.status line counts; interfaces and quotes are ignored", async () => {
    writeFileSync(join(dir.tmpDir, "pot_status_web"), 'pot.status=starting,\npot.status="started",epair3a\n');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir.tmpDir, "pot_status_web"), past, past);
    const reading = await readPotStatus(dir, "web");
    expect(reading?.status).toBe("started");
    expect(Math.abs((reading?.writtenAtMs ?? 0) - past.getTime())).toBeLessThan(1_000);
  });

  test("no file, no status line or an unknown status read as undefined", async () => {
    expect(await readPotStatus(dir, "none")).toBeUndefined();
    writeFileSync(join(dir.tmpDir, "pot_status_odd"), "pot.status=flying,\n");
    expect(await readPotStatus(dir, "odd")).toBeUndefined();
  });

  test("main pid", async () => {
    writeFileSync(join(dir.tmpDir, "pot_main_pid_web"), "4242\n");
    writeFileSync(join(dir.tmpDir, "pot_main_pid_bad"), "\n");
    expect(await readMainPid(dir, "web")).toBe(4242);
    expect(await readMainPid(dir, "bad")).toBeUndefined();
    expect(await readMainPid(dir, "none")).toBeUndefined();
  });
});

describe("a pot's recorded address", () => {
  const fsRoot = join(root, "fs");

  test("the last ip= line of the pot's pot.conf, as pot info shows it", async () => {
    const conf = potConfPath(fsRoot, "web_1");
    mkdirSync(join(conf, ".."), { recursive: true });
    writeFileSync(conf, "pot.dns=inherit\nip=10.192.0.3\nnetwork_type=public-bridge\nip=10.192.0.9\n");
    expect(await readPotAddress(fsRoot, "web_1")).toBe("10.192.0.9");
  });

  test("no address when the pot has none or no pot.conf", async () => {
    const conf = potConfPath(fsRoot, "host_1");
    mkdirSync(join(conf, ".."), { recursive: true });
    writeFileSync(conf, "network_type=inherit\nip=\n");
    expect(await readPotAddress(fsRoot, "host_1")).toBeUndefined();
    expect(await readPotAddress(fsRoot, "missing_1")).toBeUndefined();
  });
});
