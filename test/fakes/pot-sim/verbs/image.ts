// Images: `pot import` (fetch <URL>/<pot>_<tag>.xz + .skein over HTTP, verify, unpack) and `pot clone`.
//
// Simulator image format (see test/fakes/README.md): `<pot>_<tag>.xz` is an xz-compressed tar of the pot's
// dataset with top-level `m/` (the jail root) and optionally `conf/pot.conf` (`conf/fscomp.conf`);
// `<pot>_<tag>.xz.skein` holds the lowercase hex SHA-256 of the .xz bytes followed by the .meta bytes
// (where pot uses skein1024 over the same concatenation); `.xz.meta` is optional.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { appendConf, defaultPotConf, getConfVar, readConfLines, replaceConfKey } from "../conf.ts";
import { knobTimingMs } from "../knobs.ts";
import type { Sim, Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { aliasProblems, nextIp, NETWORK_TYPES, validateBridgeIp } from "../network.ts";
import { parseOptions } from "../options.ts";
import { exit } from "../output.ts";
import { confDir, jailRoot, potDir } from "../paths.ts";
import { isDirectory, isPot } from "../pots.ts";
import { ORIGIN_FILE } from "./lifecycle.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** fetch(1): download `url` to `target`; on failure print fetch's complaint on stderr. Loopback and file: only. */
async function fetchFile(sim: Sim, url: string, target: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    sim.out.stderr(`fetch: ${url}: Invalid URL`);
    return false;
  }
  try {
    if (parsed.protocol === "file:") {
      cpSync(decodeURIComponent(parsed.pathname), target);
      return true;
    }
    if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || !LOOPBACK_HOSTS.has(parsed.hostname)) {
      sim.out.stderr(`fetch: ${url}: pot-sim only fetches from loopback HTTP servers and file: URLs`);
      return false;
    }
    const response = await fetch(url, { redirect: "follow" });
    if (!response.ok) {
      sim.out.stderr(`fetch: ${url}: ${response.statusText || `HTTP ${response.status}`}`);
      return false;
    }
    writeFileSync(target, new Uint8Array(await response.arrayBuffer()));
    return true;
  } catch (err) {
    const message =
      err instanceof Error && /ECONNREFUSED|Unable to connect/i.test(`${err.message} ${String((err as { code?: string }).code)}`)
        ? "Connection refused"
        : err instanceof Error
          ? err.message
          : String(err);
    sim.out.stderr(`fetch: ${url}: ${message}`);
    return false;
  }
}

function cacheFiles(sim: Sim, image: string, tag: string) {
  const xz = join(sim.paths.cache, `${image}_${tag}.xz`);
  return { xz, meta: `${xz}.meta`, skein: `${xz}.skein`, sig: `${xz}.skein.sig` };
}

/** import.sh `_fetch_pot_internal`: each file only if not cached; .meta optional; hash verified. */
async function fetchImageOnce(sim: Sim, image: string, tag: string, baseUrl: string): Promise<boolean> {
  // A slow download (the `image-fetch` delay knob, per image name): prepare and import run it under pot's
  // global lock, so every other prepare, copy-in and clone waits for it too.
  const files = cacheFiles(sim, image, tag);
  if (!existsSync(files.xz)) await Bun.sleep(await knobTimingMs(sim, "image-fetch", ["-p", image], 0));
  const url = (suffix: string) => `${baseUrl === "" ? "file://" : baseUrl}/${image}_${tag}.xz${suffix}`;
  mkdirSync(sim.paths.cache, { recursive: true });
  if (!existsSync(files.skein) && !(await fetchFile(sim, url(".skein"), files.skein))) return false;
  if (!existsSync(files.xz) && !(await fetchFile(sim, url(""), files.xz))) return false;
  if (!existsSync(files.meta) && !(await fetchFile(sim, url(".meta"), files.meta))) {
    sim.out.info(`No ${files.meta}, ignoring`);
    writeFileSync(files.meta, "");
  }
  const digest = createHash("sha256").update(readFileSync(files.xz)).update(readFileSync(files.meta)).digest("hex");
  if (readFileSync(files.skein, "utf8").trim() !== digest) {
    sim.out.error("The image and its hash do not overlap");
    return false;
  }
  sim.out.debug("Hash confirmed");
  return true;
}

/** import.sh `_fetch_pot`: on failure remove the cached files and try once more. */
async function fetchImage(sim: Sim, image: string, tag: string, baseUrl: string): Promise<boolean> {
  if (await fetchImageOnce(sim, image, tag, baseUrl)) return true;
  const files = cacheFiles(sim, image, tag);
  for (const file of Object.values(files)) rmSync(file, { force: true });
  return fetchImageOnce(sim, image, tag, baseUrl);
}

/** The local name of an imported image: `<pot>_<tag>` with `.` → `_`. */
export function importedName(image: string, tag: string): string {
  return `${image}_${tag}`.replaceAll(".", "_");
}

/** `pot import` (run under the global lock; prepare calls it in-process). */
export const importImage: Verb = async (sim, args) => {
  let image = "";
  let tag = "";
  let baseUrl: string | undefined;
  let pubkey = sim.env.POT_DEFAULT_SIGNATURE_PUBKEY ?? "";
  parseOptions(sim, "import", args, "hvp:t:U:C:", (name, value) => {
    if (name === "p") image = value;
    if (name === "t") tag = value;
    if (name === "C") pubkey = value;
    if (name === "U") {
      if (value === "") {
        sim.out.error("Argument of -U cannot be empty");
        printHelp(sim.out, "import");
        exit(1);
      }
      baseUrl = value;
    }
  });
  if (image === "") {
    sim.out.error("A remote pot name is mandatory");
    printHelp(sim.out, "import");
    exit(1);
  }
  if (tag === "") {
    sim.out.error("A tag name is mandatory");
    printHelp(sim.out, "import");
    exit(1);
  }
  const local = importedName(image, tag);
  if (isPot(sim, local, true)) {
    sim.out.error(`pot ${local} is already present`);
    exit(1);
  }
  if (pubkey !== "") {
    if (!existsSync(pubkey)) sim.out.error(`Public key ${pubkey} not found`);
    else sim.out.error("Could not find 'signify', try 'pkg install signify'");
    exit(1);
  }
  sim.out.info(`importing ${image} @ ${tag} as ${local}`);
  if (!(await fetchImage(sim, image, tag, baseUrl ?? ""))) exit(1);
  const files = cacheFiles(sim, image, tag);
  const meta = readFileSync(files.meta, "utf8").split("\n")[0] ?? "";
  if (meta !== "" && meta !== "-") {
    sim.out.error(`pot-sim: layered images (${meta}) are not simulated`);
    exit(1);
  }
  sim.out.info(`Pot ${local} has no dependencies`);
  const dir = potDir(sim.paths, local);
  mkdirSync(dir, { recursive: true });
  const untar = Bun.spawnSync(["tar", "-xJf", files.xz, "-C", dir], { stdout: "inherit", stderr: "inherit" });
  if (untar.exitCode !== 0 || !isDirectory(jailRoot(sim.paths, local))) {
    sim.out.stderr(`pot-sim: ${files.xz} is not an xz tar with a top-level m/ directory`);
    rmSync(dir, { recursive: true, force: true });
    exit(1);
  }
  mkdirSync(confDir(sim.paths, local), { recursive: true });
  if (readConfLines(sim, local).length === 0) appendConf(sim, local, defaultPotConf(`${local}.${hostname()}`));
  replaceConfKey(sim, local, "host.hostname", [`"${local}.${hostname()}.${hostname()}"`]);
  const type = getConfVar(sim, local, "network_type");
  if (type === "alias") {
    sim.out.error("Static IP not supported by import. Moving the pot to the internal network");
    replaceConfKey(sim, local, "network_type", ["public-bridge"]);
    replaceConfKey(sim, local, "vnet", ["true"]);
  }
  if (type === "alias" || type === "public-bridge") {
    const ip = nextIp(sim) ?? "";
    sim.out.info(`Assigning new IP: ${ip}`);
    replaceConfKey(sim, local, "ip", [ip]);
  }
  return 0;
};

/** clone.sh `_get_usable_hostname`: `<pot>.<host>` when it fits in 64 characters, else the name cut to 64. */
function usableHostname(pot: string): string {
  const full = `${pot}.${hostname()}`;
  return full.length <= 64 ? full : pot.slice(0, 64);
}

export interface CloneNetwork {
  networkType?: string | undefined;
  ips: string[];
  bridge?: string | undefined;
  stack?: string | undefined;
  dns?: string | undefined;
}

/** network.sh `_validate_network_param`: the ip to store, or an error message. */
function resolveIp(
  sim: Sim,
  type: string,
  ips: string[],
  bridge: string | undefined,
  stack: string,
): { ip: string } | { error: string | string[] } {
  const ip = ips.join(" ");
  switch (type) {
    case "inherit":
      return { ip: "" };
    case "alias":
      if (ip === "") return { error: "option -i is mandatory with network type is alias" };
      if (ip === "auto") return { error: "-i auto not usable with network type alias - a real IP address has to be provided" };
      {
        const problems = aliasProblems(sim, ips, stack);
        if (problems.length > 0) return { error: [...problems, `${ip} is not a valid alias configuration`] };
      }
      return { ip };
    case "public-bridge": {
      if (ip === "auto" || ip === "") return { ip: nextIp(sim) ?? "" };
      if (!validateBridgeIp(sim, ip)) return { error: `The ${ip} IP is not valid - run potnet validate -H ${ip} for more information` };
      return { ip };
    }
    case "private-bridge": {
      if (stack === "ipv6") return { error: "private-bridge network type is not supported on ipv6 stack only" };
      if (bridge === undefined || bridge === "") {
        return { error: "private-bridge network type requires -B option, to specify which private bridge to use" };
      }
      if (!existsSync(join(sim.paths.bridges, bridge))) return { error: `bridge ${bridge} is not valid. Have you already created it?` };
      if (ip === "auto" || ip === "") return { ip: nextIp(sim, bridge) ?? "" };
      if (!validateBridgeIp(sim, ip, bridge)) {
        return { error: `The ${ip} IP is not valid for bridge ${bridge} - run potnet validate -H ${ip} -b ${bridge} for more information` };
      }
      return { ip };
    }
    default:
      return { error: `Network type ${type} not recognized` };
  }
}

/** clone.sh for a single-type base: copy the jail root, derive pot.conf (`_cj_conf`), copy hooks. */
export function clonePot(sim: Sim, base: string, pot: string, network: CloneNetwork): void {
  if (!isPot(sim, base, true)) {
    sim.out.error(`reference pot ${base} not found`);
    exit(1);
  }
  if (isPot(sim, pot, true)) {
    sim.out.error(`pot ${pot} already exists`);
    exit(1);
  }
  if (getConfVar(sim, base, "pot.level") === "0" && getConfVar(sim, base, "pot.type") !== "single") {
    sim.out.error("Level 0 pots cannot be cloned");
    exit(1);
  }
  const type = network.networkType ?? (getConfVar(sim, base, "network_type") || "inherit");
  const stack = network.stack ?? (getConfVar(sim, base, "pot.stack") || "ipv4");
  const bridge = network.bridge ?? (type === "private-bridge" ? getConfVar(sim, base, "bridge") : undefined);
  const resolved = resolveIp(sim, type, network.ips, bridge, stack);
  if ("error" in resolved) {
    for (const line of typeof resolved.error === "string" ? [resolved.error] : resolved.error) sim.out.error(line);
    exit(1);
  }
  let dns = network.dns ?? getConfVar(sim, base, "pot.dns");
  const dir = potDir(sim.paths, pot);
  mkdirSync(confDir(sim.paths, pot), { recursive: true });
  cpSync(jailRoot(sim.paths, base), jailRoot(sim.paths, pot), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  writeFileSync(join(dir, ORIGIN_FILE), `${base}\n`);
  if (dns.startsWith("custom:")) {
    cpSync(dns.slice("custom:".length), join(confDir(sim.paths, pot), "resolv.conf"));
    dns = "custom";
  }
  const inherited = readConfLines(sim, base).filter((line) => !/^(host.hostname|bridge|ip|vnet|network_type|pot.stack|pot.dns)/.test(line));
  const lines = [...inherited, `host.hostname="${usableHostname(pot)}"`, `pot.stack=${stack}`, `network_type=${type}`];
  if (type === "inherit") lines.push("vnet=false");
  if (type === "alias") lines.push("vnet=false", `ip=${resolved.ip}`);
  if (type === "public-bridge") lines.push("vnet=true", `ip=${resolved.ip}`);
  if (type === "private-bridge") lines.push("vnet=true", `ip=${resolved.ip}`, `bridge=${bridge ?? ""}`);
  lines.push(`pot.dns=${dns}`);
  writeFileSync(join(confDir(sim.paths, pot), "pot.conf"), lines.map((line) => `${line}\n`).join(""));
  for (const file of ["fscomp.conf", "prestart.sh", "poststart.sh", "prestop.sh", "poststop.sh", "resolv.conf"]) {
    const source = join(confDir(sim.paths, base), file);
    const target = join(confDir(sim.paths, pot), file);
    if (existsSync(source) && !existsSync(target)) cpSync(source, target);
  }
  if (!existsSync(join(confDir(sim.paths, pot), "fscomp.conf"))) writeFileSync(join(confDir(sim.paths, pot), "fscomp.conf"), "");
}

/** `pot clone` (global lock): a new pot from a single-type pot; flavours and snapshots are not simulated. */
export const clone: Verb = (sim, args) => {
  let pot = "";
  let base = "";
  const network: CloneNetwork = { ips: [] };
  parseOptions(sim, "clone", args, "hvp:P:s:f:kFN:i:B:S:d:", (name, value) => {
    if (name === "p") {
      if (value.includes(".")) {
        sim.out.error(`${value} is not a valid name for a pot ('.' is the only character not allowed)`);
        printHelp(sim.out, "clone");
        exit(1);
      }
      pot = value;
    }
    if (name === "P") base = value;
    if (name === "N") {
      if (!NETWORK_TYPES.includes(value)) {
        sim.out.error(`Network type ${value} not recognized`);
        printHelp(sim.out, "clone");
        exit(1);
      }
      network.networkType = value;
    }
    if (name === "i") network.ips.push(value);
    if (name === "B") network.bridge = value;
    if (name === "S") {
      if (!["ipv4", "ipv6", "dual"].includes(value)) {
        sim.out.error(`Network stack ${value} not valid`);
        printHelp(sim.out, "clone");
        exit(1);
      }
      network.stack = value;
    }
    if (name === "d") network.dns = value;
    if (name === "f") {
      sim.out.error(`Flavour ${value} not found`);
      exit(1);
    }
  });
  if (pot === "") {
    sim.out.error("pot name is missing (option -p)");
    printHelp(sim.out, "clone");
    exit(1);
  }
  if (base === "") {
    sim.out.error("reference pot name is missing (option -P)");
    printHelp(sim.out, "clone");
    exit(1);
  }
  clonePot(sim, base, pot, network);
  return 0;
};
