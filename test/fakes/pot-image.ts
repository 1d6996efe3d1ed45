// Builds images in the simulator's format: `<name>_<tag>.xz` (xz tar of m/ and conf/) and its `.xz.skein`.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface ImageFile {
  content: string;
  /** File mode, e.g. 0o755 for scripts. Default 0o644. */
  mode?: number;
}

export interface PotImageSpec {
  /** Remote image name (`pot prepare -p`). */
  name: string;
  /** Image tag (`-t`); may contain dots, the file name keeps them. */
  tag: string;
  /** Files of the jail root, by absolute path inside the jail. */
  files?: Record<string, string | ImageFile>;
  /** Lines of conf/pot.conf; omitted → the image carries no conf and the simulator writes pot's defaults. */
  potConf?: string[];
  /** Content of `<name>_<tag>.xz.meta`; omitted → no .meta file (pot then uses an empty one). */
  meta?: string;
}

export interface BuiltImage {
  name: string;
  tag: string;
  xzPath: string;
  skeinPath: string;
}

/** pot.conf lines of an exported single-type pot with the usual defaults (create.sh). */
export function exportedPotConf(overrides: Record<string, string> = {}): string[] {
  const conf: Record<string, string> = {
    "pot.level": "0",
    "pot.type": "single",
    "pot.base": "14.1",
    "pot.potbase": "",
    "pot.dns": "inherit",
    "pot.cmd": "sh /etc/rc",
    "host.hostname": '"image.localhost"',
    osrelease: '"14.1-RELEASE"',
    "pot.stack": "ipv4",
    network_type: "inherit",
    vnet: "false",
    "pot.attr.no-rc-script": "NO",
    "pot.attr.persistent": "YES",
    "pot.attr.start-at-boot": "NO",
    "pot.attr.prunable": "NO",
    "pot.attr.no-tmpfs": "NO",
    "pot.attr.stop_timeout": "10",
    ...overrides,
  };
  return Object.entries(conf).map(([key, value]) => `${key}=${value}`);
}

/**
 * Writes `<outDir>/<name>_<tag>.xz` (made with `tar -cJf` from a staging tree holding `m/` and `conf/`) and
 * `<name>_<tag>.xz.skein` (hex SHA-256 of the .xz followed by the .meta bytes, and a newline).
 */
export async function buildPotImage(outDir: string, spec: PotImageSpec): Promise<BuiltImage> {
  const staging = mkdtempSync(join(tmpdir(), "pot-image-"));
  try {
    const root = join(staging, "m");
    mkdirSync(root, { recursive: true });
    for (const dir of ["etc", "tmp", "usr/local/bin", "root"]) mkdirSync(join(root, dir), { recursive: true });
    for (const [path, file] of Object.entries(spec.files ?? {})) {
      const target = join(root, path.replace(/^\/+/, ""));
      mkdirSync(dirname(target), { recursive: true });
      const { content, mode } = typeof file === "string" ? { content: file, mode: 0o644 } : { mode: 0o644, ...file };
      writeFileSync(target, content);
      chmodSync(target, mode);
    }
    const entries = ["m"];
    if (spec.potConf !== undefined) {
      mkdirSync(join(staging, "conf"), { recursive: true });
      writeFileSync(join(staging, "conf", "pot.conf"), spec.potConf.map((line) => `${line}\n`).join(""));
      writeFileSync(join(staging, "conf", "fscomp.conf"), "");
      entries.push("conf");
    }
    mkdirSync(outDir, { recursive: true });
    const base = join(outDir, `${spec.name}_${spec.tag}.xz`);
    const tar = Bun.spawn(["tar", "-cJf", base, "-C", staging, ...entries], { stdout: "ignore", stderr: "pipe" });
    if ((await tar.exited) !== 0) throw new Error(`tar -cJf ${base} failed: ${await new Response(tar.stderr).text()}`);
    const meta = spec.meta ?? "";
    if (spec.meta !== undefined) writeFileSync(`${base}.meta`, meta);
    const digest = createHash("sha256").update(readFileSync(base)).update(meta).digest("hex");
    writeFileSync(`${base}.skein`, `${digest}\n`);
    return { name: spec.name, tag: spec.tag, xzPath: base, skeinPath: `${base}.skein` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
