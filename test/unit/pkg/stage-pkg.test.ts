// The port in pkg/ and scripts/stage-pkg.sh: the staged trees match pkg-plist exactly, the executables are the
// right FreeBSD ELF files, the manifests carry the port's metadata, and the port files agree with package.json.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const REPO_ROOT = join(import.meta.dir, "../../..");
const PKG_DIR = join(REPO_ROOT, "pkg");
const PREFIX = "/usr/local";
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string; license: string };

const ARCHES = [
  { arch: "amd64", build: "freebsd-x64", file: /^ELF 64-bit LSB executable, x86-64, .*\(FreeBSD\).*for FreeBSD 1[4-9]/ },
  { arch: "aarch64", build: "freebsd-arm64", file: /^ELF 64-bit LSB executable, ARM aarch64, .*\(FreeBSD\).*for FreeBSD 1[4-9]/ },
] as const;

interface Plist {
  files: string[];
  dirs: Array<{ path: string; owner: string; group: string; mode: string }>;
}

/** Reads pkg-plist: plain lines are files relative to PREFIX, `@dir(owner,group,mode) path` directories. */
function readPlist(): Plist {
  const plist: Plist = { files: [], dirs: [] };
  for (const line of readFileSync(join(PKG_DIR, "pkg-plist"), "utf8").split("\n")) {
    if (line === "" || line.startsWith("@comment ")) continue;
    const dir = /^@dir(?:\(([^,]*),([^,]*),([^)]*)\))? (\S+)$/.exec(line);
    if (dir) {
      const path = dir[4] as string;
      plist.dirs.push({
        path: path.startsWith("/") ? path : `${PREFIX}/${path}`,
        owner: dir[1] ?? "",
        group: dir[2] ?? "",
        mode: dir[3] ?? "",
      });
      continue;
    }
    if (line.startsWith("@")) throw new Error(`pkg-plist keyword this test does not know: ${line}`);
    plist.files.push(line.startsWith("/") ? line : `${PREFIX}/${line}`);
  }
  return plist;
}

/** The Makefile's `NAME=<tab>value` assignments (first line of each). */
function makeVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of readFileSync(join(PKG_DIR, "Makefile"), "utf8").matchAll(/^([A-Z_a-z0-9]+)=[ \t]*(.*)$/gm)) {
    const name = match[1] as string;
    vars[name] ??= (match[2] as string).replace(/\s*\\$/, "");
  }
  return vars;
}

/** Every path under root as "/abs/path" (relative to root), split into non-directories and directories. */
function walk(root: string): { entries: string[]; dirs: string[] } {
  const entries: string[] = [];
  const dirs: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = `/${relative(root, path)}`;
      if (entry.isDirectory()) {
        dirs.push(rel);
        visit(path);
      } else entries.push(rel);
    }
  };
  visit(root);
  return { entries: entries.sort(), dirs: dirs.sort() };
}

function ensureBuilt(build: string): string {
  const path = join(REPO_ROOT, "dist", `pot-task-driver-${build}`);
  if (!existsSync(path)) {
    const run = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/build.sh"), build], { stdout: "pipe", stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`build ${build} failed: ${run.stderr.toString()}`);
  }
  return path;
}

/** Building a missing FreeBSD executable takes a while; staging itself takes about a second. */
const BUILD_TIMEOUT_MS = 300_000;

let out: string;
let stageRun: { exitCode: number; stdout: string; stderr: string };

beforeAll(() => {
  for (const { build } of ARCHES) ensureBuilt(build);
  out = mkdtempSync(join(tmpdir(), "stage-pkg-"));
  const run = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts/stage-pkg.sh"), "--out", out], { stdout: "pipe", stderr: "pipe" });
  stageRun = { exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("port files", () => {
  test("DISTVERSION is package.json's version and the license is package.json's", () => {
    const vars = makeVars();
    expect(vars.PORTNAME).toBe("pot-task-driver");
    expect(vars.DISTVERSION).toBe(PACKAGE.version);
    expect(PACKAGE.license).toBe("BSD-2-Clause");
    expect(vars.LICENSE).toBe("BSD2CLAUSE");
    expect(vars.CATEGORIES).toBe("sysutils");
    expect(vars.ONLY_FOR_ARCHS).toBe("aarch64 amd64");
    expect(vars.NO_BUILD).toBe("yes");
    expect(vars.STRIP).toBe("");
    for (const key of ["MAINTAINER", "COMMENT", "WWW", "MASTER_SITES"]) expect(vars[key]).toBeTruthy();
    expect((vars.COMMENT as string).length).toBeLessThan(70);
  });

  test("RUN_DEPENDS names nomad and pot", () => {
    const text = readFileSync(join(PKG_DIR, "Makefile"), "utf8");
    const block = /^RUN_DEPENDS=((?:.*\\\n)*.*)$/m.exec(text)?.[1] ?? "";
    expect(block.split(/[\s\\]+/).filter((word) => word !== "")).toEqual(["nomad:sysutils/nomad", "pot:sysutils/pot"]);
  });

  test("pkg-message is UCL with the agent block, the rc.conf lines and the doctor command", () => {
    const message = readFileSync(join(PKG_DIR, "pkg-message"), "utf8");
    expect(message.startsWith("[")).toBe(true);
    expect(message).toContain('plugin_dir = "/usr/local/libexec/nomad/plugins"');
    expect(message).toMatch(/plugin "pot-task-driver" \{\n\s+config \{\n[^}]*\}\n\s+\}/);
    expect(message).toContain('nomad_user="root"');
    expect(message).toContain('nomad_env="PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/sbin:/bin"');
    expect(message).toContain("/usr/local/libexec/nomad/plugins/pot-task-driver doctor");
  });

  test("pkg/stage/ is ignored by git", () => {
    const run = Bun.spawnSync(["git", "-C", REPO_ROOT, "check-ignore", "-q", "pkg/stage/amd64/+MANIFEST"]);
    expect(run.exitCode).toBe(0);
    const plist = Bun.spawnSync(["git", "-C", REPO_ROOT, "check-ignore", "-q", "pkg/pkg-plist"]);
    expect(plist.exitCode).toBe(1);
  });
});

describe("scripts/stage-pkg.sh", () => {
  test("runs", () => {
    expect(stageRun.stderr).toBe("");
    expect(stageRun.exitCode).toBe(0);
  });

  for (const { arch, build, file } of ARCHES) {
    describe(arch, () => {
      const root = () => join(out, arch, "root");

      test("the tree holds exactly pkg-plist's entries", () => {
        const plist = readPlist();
        const tree = walk(root());
        expect(tree.entries).toEqual([...plist.files].sort());
        // Every directory is a plist @dir or a parent of an entry; nothing else.
        const needed = new Set<string>();
        for (const path of [...plist.files, ...plist.dirs.map((dir) => dir.path)]) {
          const parts = path.split("/").filter((part) => part !== "");
          for (let i = 1; i < parts.length; i++) needed.add(`/${parts.slice(0, i).join("/")}`);
        }
        for (const dir of plist.dirs) needed.add(dir.path);
        expect(tree.dirs).toEqual([...needed].sort());
      });

      test("plist directories exist with their mode", () => {
        for (const dir of readPlist().dirs) {
          const stat = lstatSync(join(root(), dir.path));
          expect(stat.isDirectory()).toBe(true);
          expect((stat.mode & 0o7777).toString(8).padStart(4, "0")).toBe(dir.mode.padStart(4, "0"));
        }
      });

      test("nomad-pot-driver is a relative link to pot-task-driver", () => {
        const link = join(root(), PREFIX, "libexec/nomad/plugins/nomad-pot-driver");
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        expect(readlinkSync(link)).toBe("pot-task-driver");
      });

      test(`the executable is a FreeBSD ELF for ${arch}, mode 0755, byte-identical to dist/`, () => {
        const staged = join(root(), PREFIX, "libexec/nomad/plugins/pot-task-driver");
        const stat = lstatSync(staged);
        expect(stat.isFile()).toBe(true);
        expect(stat.mode & 0o7777).toBe(0o755);
        const description = Bun.spawnSync(["file", "-b", staged], { stdout: "pipe" }).stdout.toString();
        expect(description).toMatch(file);
        expect(sha256(staged)).toBe(sha256(join(REPO_ROOT, "dist", `pot-task-driver-${build}`)));
      });

      test("+MANIFEST carries the metadata, the plist's files and directories", () => {
        const manifest = JSON.parse(readFileSync(join(out, arch, "+MANIFEST"), "utf8"));
        const vars = makeVars();
        expect(manifest).toMatchObject({
          name: "pot-task-driver",
          origin: "sysutils/pot-task-driver",
          version: PACKAGE.version,
          abi: `FreeBSD:14:${arch}`,
          arch: `FreeBSD:14:${arch}`,
          prefix: PREFIX,
          comment: vars.COMMENT,
          maintainer: vars.MAINTAINER,
          www: vars.WWW,
          licenselogic: "single",
          licenses: ["BSD2CLAUSE"],
          categories: ["sysutils"],
          deps: { nomad: { origin: "sysutils/nomad" }, pot: { origin: "sysutils/pot" } },
        });
        expect(manifest.desc).toBe(readFileSync(join(PKG_DIR, "pkg-descr"), "utf8").trimEnd());
        const plist = readPlist();
        expect(Object.keys(manifest.files).sort()).toEqual([...plist.files].sort());
        expect(manifest.files[`${PREFIX}/libexec/nomad/plugins/pot-task-driver`].perm).toBe("0755");
        expect(Object.keys(manifest.directories)).toEqual(plist.dirs.map((dir) => dir.path));
        for (const dir of plist.dirs) {
          expect(manifest.directories[dir.path]).toEqual({ uname: dir.owner, gname: dir.group, perm: dir.mode });
        }
        expect(manifest.messages).toHaveLength(1);
        expect(manifest.messages[0].type).toBe("install");
        expect(manifest.messages[0].message).toContain('plugin "pot-task-driver" {');
        expect(manifest.messages[0].message).toContain('nomad_user="root"');
      });

      test("+COMPACT_MANIFEST is the metadata without files", () => {
        const full = JSON.parse(readFileSync(join(out, arch, "+MANIFEST"), "utf8"));
        const compact = JSON.parse(readFileSync(join(out, arch, "+COMPACT_MANIFEST"), "utf8"));
        const { files: _files, directories: _directories, ...metadata } = full;
        expect(compact).toEqual(metadata);
      });
    });
  }

  test("distinfo has the checksum and size of each executable under its release name", () => {
    const distinfo = readFileSync(join(out, "distinfo"), "utf8");
    expect(distinfo).toMatch(/^TIMESTAMP = \d+\n/);
    for (const { build } of ARCHES) {
      const path = join(REPO_ROOT, "dist", `pot-task-driver-${build}`);
      const name = `pot-task-driver/pot-task-driver-${PACKAGE.version}-${build}`;
      expect(distinfo).toContain(`SHA256 (${name}) = ${sha256(path)}\n`);
      expect(distinfo).toContain(`SIZE (${name}) = ${lstatSync(path).size}\n`);
    }
  });

  test("refuses to stage when DISTVERSION and package.json disagree", async () => {
    // A copy of the repository's port and script with a different DISTVERSION.
    const fake = mkdtempSync(join(tmpdir(), "stage-pkg-drift-"));
    try {
      Bun.spawnSync(["mkdir", "-p", join(fake, "scripts"), join(fake, "pkg"), join(fake, "dist")]);
      Bun.spawnSync(["cp", join(REPO_ROOT, "scripts/stage-pkg.sh"), join(fake, "scripts/")]);
      Bun.spawnSync(["cp", join(REPO_ROOT, "package.json"), fake]);
      for (const name of ["pkg-descr", "pkg-message", "pkg-plist"]) Bun.spawnSync(["cp", join(PKG_DIR, name), join(fake, "pkg/")]);
      const makefile = readFileSync(join(PKG_DIR, "Makefile"), "utf8").replace(/^DISTVERSION=.*$/m, "DISTVERSION=\t9.9.9");
      await Bun.write(join(fake, "pkg/Makefile"), makefile);
      const run = Bun.spawnSync(["bash", join(fake, "scripts/stage-pkg.sh"), "amd64"], { stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).toBe(1);
      expect(run.stderr.toString()).toContain(`DISTVERSION=9.9.9 differs from package.json version ${PACKAGE.version}`);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});

/** pkg(8), when this host has it (FreeBSD), or PKG_BIN; the package test below needs it. */
const PKG_BIN = process.env.PKG_BIN ?? Bun.which("pkg") ?? undefined;
const PKG_CREATE_TIMEOUT_MS = 60_000;

describe(PKG_BIN === undefined ? "pkg create (skipped: no pkg(8) on this host; set PKG_BIN to run it)" : `pkg create (${PKG_BIN})`, () => {
  // Two ways to the same package: the staged +MANIFEST with its file list, and the port's way, the metadata plus
  // pkg/pkg-plist (which is how the ports framework calls pkg create).
  // A third way reads pkg-message itself as +DISPLAY, so libucl parses the file as written.
  const metadataDir = (arch: string) => {
    const dir = join(out, `meta-${arch}`);
    mkdirSync(dir, { recursive: true });
    const { messages: _messages, ...metadata } = JSON.parse(readFileSync(join(out, arch, "+COMPACT_MANIFEST"), "utf8"));
    writeFileSync(join(dir, "+MANIFEST"), JSON.stringify(metadata));
    copyFileSync(join(PKG_DIR, "pkg-message"), join(dir, "+DISPLAY"));
    return dir;
  };
  const variants = [
    { name: "+MANIFEST", args: (arch: string) => ["-M", join(out, arch, "+MANIFEST")] },
    {
      name: "+COMPACT_MANIFEST and pkg-plist",
      args: (arch: string) => ["-M", join(out, arch, "+COMPACT_MANIFEST"), "-p", join(PKG_DIR, "pkg-plist")],
    },
    { name: "pkg-message as +DISPLAY and pkg-plist", args: (arch: string) => ["-m", metadataDir(arch), "-p", join(PKG_DIR, "pkg-plist")] },
  ];
  for (const { arch } of ARCHES) {
    for (const variant of variants) {
      test.skipIf(PKG_BIN === undefined)(
        `${arch}, ${variant.name}: pkg packages exactly the plist`,
        () => {
          const pkgOut = join(out, `pkg-${arch}-${variants.indexOf(variant)}`);
          const env = { ...process.env, PKG_DBDIR: join(out, `pkgdb-${arch}`) };
          const pkg = (...args: string[]) =>
            Bun.spawnSync([PKG_BIN as string, "-o", `ABI=FreeBSD:14:${arch}`, "-o", "OSVERSION=1400000", ...args], {
              env,
              stdout: "pipe",
              stderr: "pipe",
            });
          // -f tar: no compression, which would spend a minute on the 120 MB executable.
          const create = pkg("create", "-f", "tar", ...variant.args(arch), "-r", join(out, arch, "root"), "-o", pkgOut);
          expect(create.stderr.toString()).toBe("");
          expect(create.exitCode).toBe(0);
          const file = join(pkgOut, `pot-task-driver-${PACKAGE.version}.pkg`);
          const info = pkg("info", "-R", "--raw-format", "json-compact", "-F", file);
          expect(info.exitCode).toBe(0);
          const manifest = JSON.parse(info.stdout.toString());
          const plist = readPlist();
          expect(manifest).toMatchObject({ name: "pot-task-driver", version: PACKAGE.version, abi: `FreeBSD:14:${arch}` });
          expect(Object.keys(manifest.deps).sort()).toEqual(["nomad", "pot"]);
          expect(Object.keys(manifest.files).sort()).toEqual([...plist.files].sort());
          expect(manifest.files[`${PREFIX}/libexec/nomad/plugins/pot-task-driver`].perm).toBe("0755");
          expect(manifest.files[`${PREFIX}/libexec/nomad/plugins/nomad-pot-driver`].symlink_target).toBe("pot-task-driver");
          expect(Object.keys(manifest.directories)).toEqual(plist.dirs.map((dir) => dir.path));
          expect(manifest.directories["/var/db/pot-task-driver"]).toMatchObject({ uname: "root", gname: "wheel", perm: "0700" });
          const staged = JSON.parse(readFileSync(join(out, arch, "+MANIFEST"), "utf8"));
          expect(manifest.messages).toEqual(staged.messages);
        },
        PKG_CREATE_TIMEOUT_MS,
      );
    }
  }
});

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
