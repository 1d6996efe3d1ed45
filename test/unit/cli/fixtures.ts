// Host probe fixtures for the doctor's check tests: a healthy FreeBSD host, and helpers to break it.
import type { CommandOutcome, HostProbe, PathFacts } from "../../../src/cli/doctor-checks.ts";
import { parseRcConf } from "../../../src/cli/rc-conf.ts";
import { scanAgentConfig } from "../../../src/cli/agent-config.ts";
import { POT_HELPERS } from "../../../src/pot/helpers.ts";
import { DEFAULT_CHILD_PATH } from "../../../src/support/child-env.ts";

/** Where FreeBSD (with the potnet package) keeps each of pot's helpers. */
export function helperDir(name: string): string {
  if (name === "potnet" || name === "potcpu") return "/usr/local/bin";
  if (["zfs", "pfctl", "mount_nullfs", "ifconfig", "skein1024"].includes(name)) return "/sbin";
  if (["jail", "jexec", "jls"].includes(name)) return "/usr/sbin";
  return "/usr/bin";
}

export const POT = "/usr/local/bin/pot";
export const PLUGIN_DIR = "/usr/local/libexec/nomad/plugins";
export const STATE_DIR = "/var/db/pot-task-driver";
export const SELF = `${PLUGIN_DIR}/pot-task-driver`;

export function ran(argv: readonly string[], stdout = "", exitCode: number | null = 0, stderr = ""): CommandOutcome {
  return { argv, exitCode, stdout, stderr, timedOut: false };
}

export function file(path: string, extra: Partial<PathFacts> = {}): PathFacts {
  return { path, kind: "file", mode: 0o755, executable: true, realPath: path, ...extra };
}

export function dir(path: string, extra: Partial<PathFacts> = {}): PathFacts {
  return { path, kind: "dir", mode: 0o755, executable: true, realPath: path, ...extra };
}

export function missing(path: string): PathFacts {
  return { path, kind: "missing" };
}

export const AGENT_HCL = `
data_dir   = "/var/tmp/nomad"
plugin_dir = "${PLUGIN_DIR}"

client {
  enabled = true
}

plugin "pot-task-driver" {
  config {
    pot_path  = "${POT}"
    state_dir = "${STATE_DIR}"
  }
}
`;

export const RC_CONF = `hostname="node1"
zfs_enable="YES"
nomad_enable="YES"
nomad_user="root"
nomad_env="PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/sbin:/bin"
pf_enable="YES"
`;

export const PF_CONF = `nat-anchor pot-nat
rdr-anchor "pot-rdr/*"
ext_if = "em0"
pass all
`;

/** Rebuilds rcVars from rc.conf texts (as the probe merges them). */
export function rcVarsOf(files: Array<{ path: string; text: string }>): HostProbe["rcVars"] {
  const vars: HostProbe["rcVars"] = new Map();
  for (const { path, text } of files) for (const [name, value] of parseRcConf(text)) vars.set(name, { ...value, file: path });
  return vars;
}

export function agentFile(path: string, text: string): HostProbe["agentConfigs"][number] {
  const scan = scanAgentConfig(text, path);
  return {
    path,
    text,
    pluginBlocks: scan.pluginBlocks,
    ...(scan.pluginDir === undefined ? {} : { pluginDir: scan.pluginDir }),
    ...(scan.dataDir === undefined ? {} : { dataDir: scan.dataDir }),
  };
}

/** Everything a driver host should have, every probe succeeding. */
export function healthyFreeBSD(): HostProbe {
  return {
    platform: "freebsd",
    uid: 0,
    settings: {
      potPath: { value: POT, source: "agent config", file: "/usr/local/etc/nomad/agent.hcl" },
      childPath: { value: DEFAULT_CHILD_PATH, source: "default" },
      stateDir: { value: STATE_DIR, source: "agent config", file: "/usr/local/etc/nomad/agent.hcl" },
      pluginDir: { value: PLUGIN_DIR, source: "agent config", file: "/usr/local/etc/nomad/agent.hcl" },
      agentConfigPaths: [{ value: "/usr/local/etc/nomad", source: "default" }],
      rcConfPaths: ["/etc/rc.conf"],
    },
    self: { version: "0.1.0", realPath: SELF },
    pot: {
      facts: file(POT),
      version: ran([POT, "version", "-q"], "0.16.0\n"),
      fsRoot: ran([POT, "config", "-q", "-g", "fs_root"], "/opt/pot\n"),
      fsRootDir: dir("/opt/pot"),
      zfsRoot: ran([POT, "config", "-q", "-g", "zfs_root"], "zroot/pot\n"),
    },
    zfs: {
      kldstat: ran(["/sbin/kldstat", "-q", "-m", "zfs"]),
      list: ran(["/sbin/zfs", "list", "-H", "-o", "name", "zroot/pot"], "zroot/pot\n"),
    },
    sysctl: {
      racct: ran(["/sbin/sysctl", "-n", "kern.racct.enable"], "1\n"),
      vimage: ran(["/sbin/sysctl", "-n", "kern.features.vimage"], "1\n"),
    },
    pf: { anchors: ran(["/sbin/pfctl", "-s", "Anchors"], "  pot-nat\n  pot-rdr\n"), conf: { path: "/etc/pf.conf", text: PF_CONF } },
    helpers: POT_HELPERS.map((helper) => ({ ...helper, found: `${helperDir(helper.name)}/${helper.name}` })),
    pluginDir: {
      facts: dir(PLUGIN_DIR),
      candidates: [
        { name: "pot-task-driver", facts: file(`${PLUGIN_DIR}/pot-task-driver`, { realPath: SELF }) },
        { name: "nomad-pot-driver", facts: file(`${PLUGIN_DIR}/nomad-pot-driver`, { kind: "file", realPath: SELF }) },
      ],
    },
    agentConfigs: [agentFile("/usr/local/etc/nomad/agent.hcl", AGENT_HCL)],
    rcConf: [{ path: "/etc/rc.conf", text: RC_CONF }],
    rcVars: rcVarsOf([{ path: "/etc/rc.conf", text: RC_CONF }]),
    stateDir: { facts: dir(STATE_DIR, { mode: 0o700 }), writeTest: "" },
  };
}
