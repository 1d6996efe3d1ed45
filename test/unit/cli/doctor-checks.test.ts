// Table tests for src/cli/doctor-checks.ts: every check over fixture probes, healthy and broken, FreeBSD and not.
import { describe, expect, test } from "bun:test";
import {
  checkAgentPluginBlock,
  checkAgentPluginDir,
  checkPfAnchors,
  checkPluginDir,
  checkPot,
  checkPotInit,
  checkPotVersion,
  checkRacct,
  checkPotHelpers,
  checkRcEnv,
  checkRcUser,
  checkStateDir,
  checkUser,
  checkVimage,
  checkZfs,
  CHECKS,
  exitCodeFor,
  type HostProbe,
  runChecks,
} from "../../../src/cli/doctor-checks.ts";
import { agentFile, dir, file, healthyFreeBSD, missing, PLUGIN_DIR, POT, ran, rcVarsOf, STATE_DIR } from "./fixtures.ts";

function host(change: (probe: HostProbe) => void = () => {}): HostProbe {
  const probe = healthyFreeBSD();
  change(probe);
  return probe;
}

function withRcConf(text: string): HostProbe {
  return host((p) => {
    p.rcConf = [{ path: "/etc/rc.conf", text }];
    p.rcVars = rcVarsOf([{ path: "/etc/rc.conf", text }]);
  });
}

describe("a healthy FreeBSD host", () => {
  test("passes every check and exits 0", () => {
    const results = runChecks(host());
    expect(results.map((r) => [r.check, r.status])).toEqual(CHECKS.map((check) => [check(host()).check, "pass"]));
    expect(results.every((r) => r.fix === undefined)).toBe(true);
    expect(exitCodeFor(results)).toBe(0);
  });
});

describe("FreeBSD-only checks on another platform", () => {
  const linux = host((p) => {
    p.platform = "linux";
    delete p.zfs;
    delete p.sysctl;
    delete p.pf;
  });
  test.each([checkZfs, checkRacct, checkVimage, checkPfAnchors])("%p skips with the reason", (check) => {
    const result = check(linux);
    expect(result.status).toBe("skip");
    expect(result.detail).toBe("FreeBSD only; this host runs linux");
  });
  test("even when probes claim success, never pass off FreeBSD", () => {
    const lying = host((p) => {
      p.platform = "linux";
    });
    for (const check of [checkZfs, checkRacct, checkVimage, checkPfAnchors]) expect(check(lying).status).toBe("skip");
  });
  test("on FreeBSD without their probe they skip as not probed", () => {
    const unprobed = host((p) => {
      delete p.zfs;
      delete p.sysctl;
      delete p.pf;
    });
    for (const check of [checkZfs, checkRacct, checkVimage, checkPfAnchors]) {
      expect(check(unprobed)).toMatchObject({ status: "skip", detail: "not probed" });
    }
  });
  test("rc.conf checks skip when no rc.conf exists off FreeBSD, fail on FreeBSD", () => {
    const none = (platform: string) =>
      host((p) => {
        p.platform = platform;
        p.rcConf = [{ path: "/etc/rc.conf", error: "missing" }];
        p.rcVars = new Map();
      });
    expect(checkRcUser(none("linux")).status).toBe("skip");
    expect(checkRcEnv(none("linux")).status).toBe("skip");
    expect(checkRcUser(none("freebsd")).status).toBe("fail");
  });
  test("skips do not fail the run", () => {
    expect(
      exitCodeFor([
        { check: "x", status: "skip", detail: "" },
        { check: "y", status: "warn", detail: "" },
      ]),
    ).toBe(0);
    expect(exitCodeFor([{ check: "x", status: "fail", detail: "" }])).toBe(1);
  });
});

describe("user", () => {
  test("non-root warns", () => {
    const result = checkUser(host((p) => (p.uid = 1001)));
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("uid 1001");
  });
});

describe("pot", () => {
  test.each<[string, (p: HostProbe) => void, string]>([
    ["missing", (p) => (p.pot.facts = missing(POT)), `${POT} does not exist`],
    ["a directory", (p) => (p.pot.facts = dir(POT)), `${POT} is not a file`],
    ["not executable", (p) => (p.pot.facts = file(POT, { executable: false, mode: 0o644 })), `${POT} is not executable`],
  ])("%s fails", (_name, change, detail) => {
    const result = checkPot(host(change));
    expect(result.status).toBe("fail");
    expect(result.detail).toBe(detail);
    expect(result.fix).toBeTruthy();
  });
  test("the fix names where pot_path came from", () => {
    const result = checkPot(host((p) => (p.pot.facts = missing(POT))));
    expect(result.fix).toContain("pot_path from /usr/local/etc/nomad/agent.hcl");
  });
});

describe("pot version", () => {
  const version = (stdout: string, exitCode = 0) =>
    checkPotVersion(host((p) => (p.pot.version = ran([POT, "version", "-q"], stdout, exitCode))));
  test.each([
    ["0.16.0\n", "pass"],
    ["0.17.2\n", "pass"],
    ["pot version: 0.16.0\n", "pass"],
    ["0.15.6\n", "fail"],
    ["0.15.0\n", "fail"],
    ["0.14.1\n", "fail"],
    ["0.9\n", "fail"],
    ["garbage\n", "fail"],
  ])("%p → %s", (stdout, status) => {
    expect(version(stdout).status).toBe(status as never);
  });
  test("a failing pot version fails with pot's output", () => {
    const result = version("", 2);
    expect(result.status).toBe("fail");
    expect(result.detail).toContain("exit 2");
  });
  test("skips when pot is missing", () => {
    expect(checkPotVersion(host((p) => (p.pot.facts = missing(POT)))).status).toBe("skip");
  });
});

describe("pot init", () => {
  const notInit = "###>  /opt/pot does not exist, please run 'pot init'";
  test("fs_root that is not a directory fails", () => {
    const result = checkPotInit(host((p) => (p.pot.fsRootDir = missing("/opt/pot"))));
    expect(result.status).toBe("fail");
    expect(result.fix).toBe("pot init (as root)");
  });
  test("pot config failing with pot's pre-check message fails with it", () => {
    const result = checkPotInit(
      host((p) => {
        p.pot.fsRoot = ran([POT, "config", "-q", "-g", "fs_root"], "", 1, notInit);
        p.pot.list = ran([POT, "ls", "-q"], "", 1, notInit);
      }),
    );
    expect(result.status).toBe("fail");
    expect(result.detail).toContain("please run 'pot init'");
  });
  test("pot config failing but pot ls working passes (the ls check)", () => {
    const result = checkPotInit(
      host((p) => {
        p.pot.fsRoot = ran([POT, "config", "-q", "-g", "fs_root"], "", 1, "config is not available");
        p.pot.list = ran([POT, "ls", "-q"], "");
      }),
    );
    expect(result.status).toBe("pass");
  });
});

describe("zfs", () => {
  test("missing dataset with ZFS loaded fails with pot init", () => {
    const result = checkZfs(host((p) => (p.zfs = { kldstat: ran(["kldstat"]), list: ran(["zfs"], "", 1, "dataset does not exist") })));
    expect(result.status).toBe("fail");
    expect(result.detail).toContain("zroot/pot");
    expect(result.fix).toContain("pot init");
  });
  test("ZFS not loaded fails with zfs_enable", () => {
    const result = checkZfs(host((p) => (p.zfs = { kldstat: ran(["kldstat"], "", 1), list: ran(["zfs"], "", 1) })));
    expect(result.status).toBe("fail");
    expect(result.fix).toContain("zfs_enable");
  });
  test("unknown dataset with ZFS loaded warns", () => {
    const result = checkZfs(
      host((p) => {
        p.pot.zfsRoot = ran([POT, "config"], "", 1);
        p.zfs = { kldstat: ran(["kldstat"]) };
      }),
    );
    expect(result.status).toBe("warn");
  });
});

describe("rctl", () => {
  test("kern.racct.enable=0 warns with the loader.conf fix", () => {
    const result = checkRacct(host((p) => (p.sysctl = { racct: ran(["sysctl"], "0\n"), vimage: ran(["sysctl"], "1\n") })));
    expect(result.status).toBe("warn");
    expect(result.fix).toBe("add kern.racct.enable=1 to /boot/loader.conf and reboot");
  });
  test("an unknown oid warns", () => {
    const result = checkRacct(
      host((p) => (p.sysctl = { racct: ran(["sysctl"], "", 1, "sysctl: unknown oid"), vimage: ran(["sysctl"], "1\n") })),
    );
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("unknown oid");
  });
});

describe("vimage", () => {
  test.each([
    ["0\n", 0],
    ["", 1],
  ])("%p (exit %p) fails", (stdout, exitCode) => {
    const result = checkVimage(host((p) => (p.sysctl = { racct: ran(["sysctl"], "1\n"), vimage: ran(["sysctl"], stdout, exitCode) })));
    expect(result.status).toBe("fail");
    expect(result.fix).toContain("VIMAGE");
  });
});

describe("pf anchors", () => {
  const pf = (anchors: string, anchorsExit: number, conf: string | undefined) =>
    checkPfAnchors(
      host(
        (p) =>
          (p.pf = {
            anchors: ran(["/sbin/pfctl", "-s", "Anchors"], anchors, anchorsExit, anchorsExit === 0 ? "" : "pfctl: pf not enabled"),
            conf: conf === undefined ? { path: "/etc/pf.conf", error: "missing" } : { path: "/etc/pf.conf", text: conf },
          }),
      ),
    );
  test("listed anchors pass, also as pot-rdr/<pot>", () => {
    expect(pf("  pot-nat\n  pot-rdr/web_1\n", 0, "").status).toBe("pass");
  });
  test("configured but not loaded warns to start pf", () => {
    const result = pf("", 1, 'nat-anchor pot-nat\nrdr-anchor "pot-rdr/*"\n');
    expect(result.status).toBe("warn");
    expect(result.fix).toContain("service pf start");
  });
  test("neither listed nor configured fails with pot init", () => {
    const result = pf("  other\n", 0, "pass all\n");
    expect(result.status).toBe("fail");
    expect(result.detail).toContain('nat-anchor pot-nat and rdr-anchor "pot-rdr/*"');
    expect(result.fix).toContain("pot init");
  });
  test("a commented-out anchor does not count", () => {
    expect(pf("", 1, '# nat-anchor pot-nat\nrdr-anchor "pot-rdr/*"\n').status).toBe("fail");
  });
  test("an unreadable pf.conf fails with the reason", () => {
    expect(pf("", 1, undefined).detail).toContain("/etc/pf.conf is not readable (missing)");
  });
});

describe("plugin dir", () => {
  test("missing dir fails", () => {
    const result = checkPluginDir(host((p) => (p.pluginDir = { facts: missing(PLUGIN_DIR), candidates: [] })));
    expect(result.status).toBe("fail");
    expect(result.fix).toContain(`${PLUGIN_DIR}/pot-task-driver`);
  });
  test("a copy of the same version passes", () => {
    const result = checkPluginDir(
      host((p) => {
        p.pluginDir.candidates = [
          {
            name: "pot-task-driver",
            facts: file(`${PLUGIN_DIR}/pot-task-driver`, { realPath: "/elsewhere" }),
            version: ran(["x", "version"], "pot-task-driver 0.1.0\n"),
          },
          { name: "nomad-pot-driver", facts: missing(`${PLUGIN_DIR}/nomad-pot-driver`) },
        ];
      }),
    );
    expect(result.status).toBe("pass");
    expect(result.detail).toContain("pot-task-driver is pot-task-driver 0.1.0");
  });
  test("another version warns", () => {
    const result = checkPluginDir(
      host((p) => {
        p.pluginDir.candidates = [
          {
            name: "pot-task-driver",
            facts: file(`${PLUGIN_DIR}/pot-task-driver`, { realPath: "/x" }),
            version: ran(["x"], "pot-task-driver 0.0.9\n"),
          },
        ];
      }),
    );
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("0.0.9, not 0.1.0");
  });
  test("only the old Go driver warns", () => {
    const result = checkPluginDir(
      host((p) => {
        p.pluginDir.candidates = [
          {
            name: "nomad-pot-driver",
            facts: file(`${PLUGIN_DIR}/nomad-pot-driver`, { realPath: "/go" }),
            version: ran(["x"], "", 1, "This binary is a plugin."),
          },
        ];
      }),
    );
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("not this driver");
  });
  test("nothing there fails", () => {
    const result = checkPluginDir(host((p) => (p.pluginDir.candidates = [{ name: "pot-task-driver", facts: missing("x") }])));
    expect(result.status).toBe("fail");
  });
});

describe("agent config", () => {
  const withAgent = (text: string, name = "/usr/local/etc/nomad/agent.hcl") => host((p) => (p.agentConfigs = [agentFile(name, text)]));
  test("the old driver's block name passes", () => {
    const result = checkAgentPluginBlock(withAgent('plugin "nomad-pot-driver" {}\n'));
    expect(result.status).toBe("pass");
    expect(result.detail).toBe('plugin "nomad-pot-driver" in /usr/local/etc/nomad/agent.hcl:1');
  });
  test("no block fails with the block to add", () => {
    const result = checkAgentPluginBlock(withAgent('plugin "docker" {}\n# plugin "pot-task-driver" {}\n'));
    expect(result.status).toBe("fail");
    expect(result.fix).toContain('plugin "pot-task-driver" { config {');
  });
  test("enabled = false warns", () => {
    const result = checkAgentPluginBlock(withAgent('plugin "pot-task-driver" {\n  config {\n    enabled = false\n  }\n}\n'));
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("enabled = false");
  });
  test("a block naming a file absent from the plugin dir warns", () => {
    const result = checkAgentPluginBlock(
      host((p) => {
        p.agentConfigs = [agentFile("/a.hcl", 'plugin "nomad-pot-driver" {}\n')];
        p.pluginDir.candidates = [
          { name: "pot-task-driver", facts: file(`${PLUGIN_DIR}/pot-task-driver`) },
          { name: "nomad-pot-driver", facts: missing(`${PLUGIN_DIR}/nomad-pot-driver`) },
        ];
      }),
    );
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("names a file that is not in");
  });
  test("JSON configs count", () => {
    const result = checkAgentPluginBlock(
      withAgent(JSON.stringify({ plugin: [{ "pot-task-driver": [{ config: [{ pot_path: POT }] }] }] }), "/etc/nomad/agent.json"),
    );
    expect(result.status).toBe("pass");
  });
  test("nothing read warns", () => {
    const result = checkAgentPluginBlock(
      host((p) => (p.agentConfigs = [{ path: "/usr/local/etc/nomad", error: "missing", pluginBlocks: [] }])),
    );
    expect(result.status).toBe("warn");
    expect(result.detail).toContain("nothing found at /usr/local/etc/nomad");
  });
});

describe("agent plugin_dir", () => {
  test("unset fails: Nomad would look in <data_dir>/plugins", () => {
    const result = checkAgentPluginDir(host((p) => (p.agentConfigs = [agentFile("/a.hcl", 'plugin "pot-task-driver" {}\n')])));
    expect(result.status).toBe("fail");
    expect(result.fix).toBe(`add plugin_dir = "${PLUGIN_DIR}" to the agent configuration`);
  });
  test("unset plugin_dir is fine when the plugin dir checked is <data_dir>/plugins", () => {
    const result = checkAgentPluginDir(
      host((p) => {
        p.agentConfigs = [agentFile("/a.hcl", 'data_dir = "/var/nomad/"\n')];
        p.pluginDir.facts = dir("/var/nomad/plugins");
      }),
    );
    expect(result.status).toBe("pass");
    expect(result.detail).toBe("plugin_dir is not set; Nomad uses <data_dir>/plugins = /var/nomad/plugins (data_dir from /a.hcl)");
  });
  test("the rc script's -data-dir=${nomad_dir} decides data_dir over the files", () => {
    const result = checkAgentPluginDir(
      host((p) => {
        p.agentConfigs = [agentFile("/a.hcl", 'data_dir = "/var/nomad"\n')];
        p.rcVars = rcVarsOf([{ path: "/etc/rc.conf", text: 'nomad_dir="/data/nomad"\n' }]);
      }),
    );
    expect(result.status).toBe("fail");
    expect(result.detail).toBe(
      `plugin_dir is not set, so Nomad looks for plugins in /data/nomad/plugins (data_dir from nomad_dir in /etc/rc.conf), not in ${PLUGIN_DIR}`,
    );
  });
  test("a different plugin_dir than the one checked warns", () => {
    const result = checkAgentPluginDir(host((p) => (p.agentConfigs = [agentFile("/a.hcl", 'plugin_dir = "/opt/plugins"\n')])));
    expect(result.status).toBe("warn");
    expect(result.fix).toContain("--plugin-dir /opt/plugins");
  });
  test("nomad_args -plugin-dir counts and wins", () => {
    const result = checkAgentPluginDir(
      host((p) => {
        p.agentConfigs = [agentFile("/a.hcl", 'plugin_dir = "/opt/plugins"\n')];
        p.rcVars = rcVarsOf([{ path: "/etc/rc.conf", text: `nomad_args="-config=/etc/nomad -plugin-dir=${PLUGIN_DIR}/"\n` }]);
      }),
    );
    expect(result.status).toBe("pass");
    expect(result.detail).toContain("nomad_args");
  });
});

describe("pot helpers", () => {
  test("a helper missing from the path option fails, naming it, its use and where PATH came from", () => {
    const result = checkPotHelpers(
      host((p) => {
        p.settings.childPath = { value: "/usr/sbin:/usr/bin:/sbin:/bin", source: "agent config", file: "/usr/local/etc/nomad/agent.hcl" };
        for (const helper of p.helpers) if (helper.name === "potnet" || helper.name === "potcpu") delete helper.found;
      }),
    );
    expect(result.status).toBe("fail");
    expect(result.detail).toContain("potnet (jail IP addresses");
    expect(result.detail).toContain("potcpu (the CPU limit");
    expect(result.detail).toContain("PATH /usr/sbin:/usr/bin:/sbin:/bin (path from /usr/local/etc/nomad/agent.hcl)");
    expect(result.detail).not.toContain("jexec");
    expect(result.fix).toContain("path option");
  });
  test("every helper found passes; off FreeBSD it skips", () => {
    expect(checkPotHelpers(host()).status).toBe("pass");
    expect(checkPotHelpers(host((p) => (p.platform = "linux"))).status).toBe("skip");
  });
});

describe("rc.conf", () => {
  test.each([
    ['nomad_user="nomad"\n', "fail", 'nomad_user="nomad" (/etc/rc.conf:1)'],
    ["\n", "fail", "nomad_user is not set: the rc script runs Nomad as user nomad"],
    ["nomad_user=root\n", "pass", 'nomad_user="root" (/etc/rc.conf:1)'],
    ['nomad_user="root"\nnomad_user="nomad" # later wins\n', "fail", 'nomad_user="nomad" (/etc/rc.conf:2)'],
  ])("%p → %s", (text, status, detail) => {
    const result = checkRcUser(withRcConf(text));
    expect(result.status).toBe(status as never);
    expect(result.detail).toBe(detail);
  });
  test.each([
    ['nomad_env="PATH=/usr/local/bin:/usr/local/sbin:/bin"\n', "pass"],
    ['nomad_env="LANG=C PATH=/usr/local/sbin:/usr/local/bin/"\n', "pass"],
    ['nomad_env="PATH=/usr/bin:/bin"\n', "fail"],
    ['nomad_env="PATH=/usr/local/bin:/bin"\n', "fail"],
    ['nomad_env="LANG=C"\n', "fail"],
    ["\n", "fail"],
  ])("nomad_env %p → %s", (text, status) => {
    const result = checkRcEnv(withRcConf(text));
    expect(result.status).toBe(status as never);
    if (status === "fail") expect(result.fix).toContain('nomad_env="PATH=/usr/local/bin:/usr/local/sbin:');
  });
  test("the PATH check names what is missing", () => {
    expect(checkRcEnv(withRcConf('nomad_env="PATH=/usr/local/bin:/bin"\n')).detail).toBe(
      "nomad_env PATH lacks /usr/local/sbin (/etc/rc.conf:1)",
    );
  });
});

describe("state dir", () => {
  test("missing but creatable warns", () => {
    const result = checkStateDir(host((p) => (p.stateDir = { facts: missing(STATE_DIR), ancestorWritable: true })));
    expect(result.status).toBe("warn");
    expect(result.fix).toBe(`install -d -m 0700 ${STATE_DIR}`);
  });
  test("missing and not creatable fails", () => {
    expect(checkStateDir(host((p) => (p.stateDir = { facts: missing(STATE_DIR), ancestorWritable: false }))).status).toBe("fail");
  });
  test("a failed write test fails with the error", () => {
    const result = checkStateDir(host((p) => (p.stateDir = { facts: dir(STATE_DIR), writeTest: "EROFS: read-only file system" })));
    expect(result.status).toBe("fail");
    expect(result.detail).toContain("EROFS");
  });
  test("a file fails", () => {
    expect(checkStateDir(host((p) => (p.stateDir = { facts: file(STATE_DIR) }))).status).toBe("fail");
  });
});
