// The start plan for settings beyond the seed job: port protocols, alias and private-bridge jails, `user`
// and the group's dns block — and the pure helpers behind them (resolv.conf text, jail accounts).
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeDriverState, encodeDriverState } from "../../../src/driver/driver-state.ts";
import { isJailExecutable, readJailFile } from "../../../src/driver/jail-files.ts";
import { findJailAccount, switchUserArgv, userNameProblem } from "../../../src/driver/jail-user.ts";
import { renderResolvConf } from "../../../src/driver/resolv-conf.ts";
import { commandLineAsUser, planStart } from "../../../src/driver/start-plan.ts";
import { validateTaskConfig } from "../../../src/driver/task-config.ts";
import type { TaskSpec } from "../../../src/driver/task-spec.ts";
import { taskSpec } from "../../support/task-spec.ts";
import { prepareArgv } from "../../../src/pot/argv.ts";

const BASE = {
  image: "http://images.example/",
  pot: "nginx",
  tag: "1.0",
  command: "nginx -g 'daemon off;'",
  port_map: [{ http: "80" }],
};

function task(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return taskSpec({
    resources: {
      memoryMb: 0,
      memoryMaxMb: 0,
      cpusetCpus: "",
      percentTicks: 0,
      ports: [
        { label: "http", hostPort: 28080, to: 0 },
        { label: "dns", hostPort: 28053, to: 0 },
      ],
    },
    ...overrides,
  });
}

function plan(config: Record<string, unknown>, spec: Partial<TaskSpec> = {}) {
  const validated = validateTaskConfig({ ...BASE, ...config });
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return planStart(validated.config, task(spec), { hostCpus: 2 });
}

function okPlan(config: Record<string, unknown>, spec: Partial<TaskSpec> = {}) {
  const result = plan(config, spec);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.plan;
}

describe("port protocols", () => {
  test("tcp+udp becomes one -e per protocol; a bare port keeps pot's default form", () => {
    const p = okPlan({ port_map: [{ http: "80", dns: "53/tcp+udp" }] });
    expect(p.prepare.ports).toEqual([
      { potPort: 80, hostPort: 28080 },
      { potPort: 53, hostPort: 28053, protocol: "tcp" },
      { potPort: 53, hostPort: 28053, protocol: "udp" },
    ]);
    expect(prepareArgv(p.prepare)).toEqual(expect.arrayContaining(["-e", "80:28080", "-e", "tcp:53:28053", "-e", "udp:53:28053"]));
    expect(p.portMap).toEqual({ http: 80, dns: 53 });
  });

  test("udp only", () => {
    expect(okPlan({ port_map: [{ dns: "53/udp" }] }).prepare.ports).toEqual([{ potPort: 53, hostPort: 28053, protocol: "udp" }]);
  });
});

describe("network types", () => {
  test("alias: -N alias -i [nic|]ip with the address's stack, the job's address advertised, nothing exported", () => {
    const p = okPlan({ network_mode: "alias", alias_ip: "em1|192.0.2.10" });
    expect(p.prepare).toMatchObject({ networkType: "alias", ips: ["em1|192.0.2.10"], stack: "ipv4", ports: [] });
    expect(p.fixedAddress).toBe("192.0.2.10");
    expect(p.portMap).toEqual({ http: 80 });
    expect(okPlan({ network_mode: "alias", alias_ip: "2001:db8::10" }).prepare).toMatchObject({ ips: ["2001:db8::10"], stack: "ipv6" });
  });

  test("private-bridge: -N private-bridge -B name -i auto, ports exported", () => {
    const p = okPlan({ network_mode: "private-bridge", bridge: "backend" });
    expect(p.prepare).toMatchObject({
      networkType: "private-bridge",
      bridge: "backend",
      ips: ["auto"],
      ports: [{ potPort: 80, hostPort: 28080 }],
    });
    expect(p.bridge).toBe("backend");
    expect(p.ownAddress).toBe(true);
    expect(p.fixedAddress).toBeUndefined();
  });

  test("host: no address of its own, nothing exported", () => {
    const p = okPlan({ network_mode: "host" });
    expect(p.prepare).toMatchObject({ networkType: "inherit", ports: [] });
    expect(p.ownAddress).toBe(false);
  });
});

describe("user", () => {
  test("prepare sets no command; the plan keeps it for the account found later", () => {
    const p = okPlan({}, { user: "www" });
    expect(p.prepare.command).toBeUndefined();
    expect(p.user).toBe("www");
    expect(p.userCommand).toBe("nginx -g 'daemon off;'");
  });

  test("a malformed name is an issue naming task.user", () => {
    const bad = plan({}, { user: "-rf" });
    expect(bad.ok ? [] : bad.issues).toEqual([{ path: "task.user", message: expect.stringContaining("login name"), value: "-rf" }]);
  });

  test("without command the image's own command is wrapped later: prepare sets none, the plan keeps the user", () => {
    const p = okPlan({ command: null }, { user: "www" });
    expect(p.prepare.command).toBeUndefined();
    expect(p.user).toBe("www");
    expect(p.userCommand).toBeUndefined();
  });

  test("the command line runs the job's line in a shell of the account, via the jail's chroot", () => {
    const account = { name: "www", uid: 80, gid: 80, groups: [80, 2000], home: "/nonexistent" };
    expect(switchUserArgv(account)).toEqual(["/usr/sbin/chroot", "-u", "80", "-g", "80", "-G", "80,2000", "/"]);
    expect(commandLineAsUser(account, "nginx -g 'daemon off;'")).toBe(
      `/usr/sbin/chroot -u 80 -g 80 -G 80,2000 / /bin/sh -c 'exec nginx -g '\\''daemon off;'\\'''`,
    );
  });

  test("names: login names only", () => {
    for (const ok of ["www", "_pflogd", "app-1", "machine$"]) expect(userNameProblem(ok)).toBeUndefined();
    for (const bad of ["", "-x", "a b", "www:wheel", "a/b", "x".repeat(33)]) expect(userNameProblem(bad)).toBeDefined();
  });
});

describe("jail accounts", () => {
  const passwd =
    "# comment\nroot:*:0:0:Charlie &:/root:/bin/sh\nwww:*:80:80:WWW:/nonexistent:/usr/sbin/nologin\nbroken:*:x:80::/:/bin/sh\n";
  const group = "wheel:*:0:root\nwww:*:80:\nshared:*:2000:app,www\nother:*:3000:wwwx\n";

  test("uid, gid, home and every group listing the account (primary first)", () => {
    expect(findJailAccount("www", passwd, group)).toEqual({ name: "www", uid: 80, gid: 80, groups: [80, 2000], home: "/nonexistent" });
  });

  test("unknown or malformed accounts are not found", () => {
    expect(findJailAccount("ghost", passwd, group)).toBeUndefined();
    expect(findJailAccount("broken", passwd, group)).toBeUndefined();
  });

  test("the handle keeps the account; a malformed one refuses recovery rather than exec as root", () => {
    const state = { taskId: "a/b/c", potName: "p", bundleDir: "/b", supervisorPid: 5, startedAt: "2026-01-01T00:00:00Z" };
    const account = { name: "www", uid: 80, gid: 80, groups: [80], home: "/nonexistent" };
    const decoded = decodeDriverState(encodeDriverState({ ...state, user: account }), 1);
    expect(decoded.ok && decoded.state.user).toEqual(account);
    const bad = new TextEncoder().encode(JSON.stringify({ v: 1, ...state, user: { name: "www", uid: -1 } }));
    expect(decodeDriverState(bad, 1).ok).toBe(false);
  });
});

describe("reading a jail's files from the host", () => {
  test("regular files are read; symlinks anywhere below the jail root are refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jail-files-"));
    try {
      const root = join(dir, "m");
      mkdirSync(join(root, "etc"), { recursive: true });
      mkdirSync(join(root, "usr", "sbin"), { recursive: true });
      writeFileSync(join(dir, "host-secret"), "secret\n");
      writeFileSync(join(root, "etc", "passwd"), "root:*:0:0::/root:/bin/sh\n");
      symlinkSync(join(dir, "host-secret"), join(root, "etc", "group"));
      symlinkSync(join(dir), join(root, "usr", "local"));
      writeFileSync(join(root, "usr", "sbin", "chroot"), "#!/bin/sh\n", { mode: 0o555 });
      expect(await readJailFile(root, "/etc/passwd")).toEqual({ ok: true, text: "root:*:0:0::/root:/bin/sh\n" });
      expect((await readJailFile(root, "/etc/group")).ok).toBe(false);
      expect((await readJailFile(root, "/usr/local/host-secret")).ok).toBe(false);
      expect((await readJailFile(root, "/etc/missing")).ok).toBe(false);
      expect(await isJailExecutable(root, "/usr/sbin/chroot")).toBe(true);
      expect(await isJailExecutable(root, "/etc/passwd")).toBe(false);
      expect(await isJailExecutable(root, "/etc/group")).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("resolv.conf", () => {
  test("search, nameservers and options in resolver(5) form", () => {
    expect(
      renderResolvConf({ servers: ["192.0.2.1", "2001:db8::1"], searches: ["a.example", "b.example"], options: ["ndots:2", "rotate"] }),
    ).toEqual({
      ok: true,
      text: "# Written by pot-task-driver from the group's network dns block\nsearch a.example b.example\nnameserver 192.0.2.1\nnameserver 2001:db8::1\noptions ndots:2 rotate\n",
    });
  });

  test("what the resolver would drop or misread is refused, each naming its value", () => {
    const result = renderResolvConf({
      servers: ["1.1.1.1", "8.8.8.8", "9.9.9.9", "bad"],
      searches: ["ok.example", "has space"],
      options: ["ndots:x", "unknown", "timeout:3"],
    });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toEqual([
      "task.dns.servers",
      "task.dns.servers[3]",
      "task.dns.searches[1]",
      "task.dns.options[0]",
      "task.dns.options[1]",
    ]);
  });

  test("more servers or search domains than the resolver reads: one issue for the list, naming the limit", () => {
    const searches = ["a.example", "b.example", "c.example", "d.example", "e.example", "f.example", "g.example"];
    const result = renderResolvConf({ servers: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"], searches, options: [] });
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.message])).toEqual([
      ["task.dns.servers", "at most 3 name servers: the jail's resolver ignores the rest"],
      ["task.dns.searches", "at most 6 search domains: the jail's resolver ignores the rest"],
    ]);
    expect(result.ok ? undefined : result.issues[1]?.value).toEqual(searches);
  });

  test("the resolv.conf path given to pot must survive its unquoted -d", () => {
    const prepare = { imageUrl: "http://x/", imageName: "n", tag: "1", allocId: "a", dns: { custom: "/var/db/my state/resolv.conf" } };
    expect(() => prepareArgv(prepare)).toThrow(/resolv.conf path/);
    expect(prepareArgv({ ...prepare, dns: { custom: "/var/db/s/resolv.conf" } })).toEqual(
      expect.arrayContaining(["-d", "custom:/var/db/s/resolv.conf"]),
    );
  });
});
