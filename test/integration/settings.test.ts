// Job settings beyond the seed job, through the compiled plugin, gRPC and the pot simulator: UDP and
// both-protocol ports (the pf rules pot writes), alias and private-bridge jails (the address Nomad is told),
// a task `user` (its command and exec run as that account of the jail), and the group's dns block (the
// jail's resolv.conf). Each refused form names the field and the value, and leaves no pot behind.
import { describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freebsdBase } from "../fakes/jail-base.ts";
import { buildPotImage, exportedPotConf } from "../fakes/pot-image.ts";
import {
  type LaunchedPlugin,
  openExecStream,
  unary,
  startTask,
  stopTask,
  destroyTask,
  handleAfterAgentRestart,
  execTask,
} from "../support/plugin.ts";
import {
  launchConfiguredPlugin,
  setUpPluginWorld,
  nomadTask,
  seedDriverConfig,
  type SimWorld,
  simPots,
  taskPot,
  type TaskWorld,
  startUnderKilledPlugin,
} from "../support/sim-world.ts";
import { waitFor } from "../support/wait.ts";

/** An image program printing its credentials, then running until TERM (the main image has the same). */
const CREDS = {
  mode: 0o755,
  content:
    "#!/bin/sh\necho \"creds: uid=$POT_SIM_UID gid=$POT_SIM_GID groups=$POT_SIM_GROUPS user=$USER\"\ntrap 'exit 0' TERM\nwhile :; do sleep 1 & wait $!; done\n",
};

let world: SimWorld;
let plugin: LaunchedPlugin;
setUpPluginWorld((w, p) => {
  world = w;
  plugin = p;
});

async function refused(task: TaskWorld): Promise<grpc.ServiceError> {
  const err = await startTask(plugin, task).then(
    () => undefined,
    (e: grpc.ServiceError) => e,
  );
  if (err === undefined) throw new Error("StartTask succeeded; it should have been refused");
  return err;
}

async function stopAndDestroy(task: TaskWorld): Promise<void> {
  await stopTask(plugin, task);
  await destroyTask(plugin, task);
}

function potConf(task: TaskWorld): string {
  return readFileSync(join(world.simRoot, "jails", taskPot(task), "conf", "pot.conf"), "utf8");
}

/** The rules the simulator recorded for the pot's pf anchor (pot's name, cut to its last 55 characters). */
function rdrRules(task: TaskWorld): string[] | undefined {
  const pot = taskPot(task);
  const anchor = pot.length > 55 ? pot.slice(-55).replace(/^_+/, "") : pot;
  const file = join(world.simRoot, "pf", "pot-rdr", anchor);
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : undefined;
}

function withPorts(task: TaskWorld, ports: Record<string, number>): TaskWorld {
  const resources = task.config.resources;
  if (resources) resources.ports = Object.entries(ports).map(([label, value]) => ({ label, value, to: 0, hostIp: "127.0.0.1" }));
  return task;
}

describe("UDP ports", () => {
  test("53/tcp+udp, 514/udp and the seed's 80: one rdr rule per protocol, flushed at stop", async () => {
    const task = withPorts(
      nomadTask(world, "dns", seedDriverConfig(world, { port_map: [{ http: "80", dns: "53/tcp+udp", syslog: "514/udp" }] })),
      { http: 28080, dns: 28053, syslog: 28514 },
    );
    const started = await startTask(plugin, task);
    const address = started.networkOverride?.addr ?? "";
    expect(address).toMatch(/^10\.192\.\d+\.\d+$/);
    expect(started.networkOverride?.portMap).toEqual({ http: 80, dns: 53, syslog: 514 });
    const rules = rdrRules(task);
    expect(rules?.sort()).toEqual(
      [
        `rdr pass on em0 proto tcp from any to (em0) port 28080 -> ${address} port 80`,
        `rdr pass on em0 proto tcp from any to (em0) port 28053 -> ${address} port 53`,
        `rdr pass on em0 proto udp from any to (em0) port 28053 -> ${address} port 53`,
        `rdr pass on em0 proto udp from any to (em0) port 28514 -> ${address} port 514`,
      ].sort(),
    );
    await stopAndDestroy(task);
    expect(rdrRules(task)).toBeUndefined();
  });

  test("an unknown protocol is refused naming the label and the value", async () => {
    const task = nomadTask(world, "sctp", seedDriverConfig(world, { port_map: [{ http: "80/sctp" }] }));
    const err = await refused(task);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain("config.port_map.http");
    expect(err.details).toContain('"80/sctp"');
    expect(simPots(world)).not.toContain(taskPot(task));
  });
});

describe("alias jails", () => {
  test("run on the job's address, which Nomad is told, with port_map advertised and nothing redirected", async () => {
    const task = nomadTask(world, "alias", seedDriverConfig(world, { network_mode: "alias", alias_ip: "em0|192.0.2.10" }));
    const started = await startTask(plugin, task);
    expect(started.networkOverride?.addr).toBe("192.0.2.10");
    expect(started.networkOverride?.portMap).toEqual({ http: 80 });
    const conf = potConf(task);
    expect(conf).toContain("network_type=alias");
    expect(conf).toContain("ip=em0|192.0.2.10");
    expect(conf).toContain("pot.stack=ipv4");
    expect(rdrRules(task)).toBeUndefined();
    await stopAndDestroy(task);
  });

  test("a missing or malformed address is refused before any pot exists", async () => {
    for (const [aliasIp, needle] of [
      [null, "config.alias_ip: is required with network_mode alias"],
      ["192.0.2.300", '"192.0.2.300"'],
      ["auto", '"auto"'],
    ] as const) {
      const task = nomadTask(world, "badalias", seedDriverConfig(world, { network_mode: "alias", alias_ip: aliasIp }));
      const err = await refused(task);
      expect(err.details).toContain("config.alias_ip");
      expect(err.details).toContain(needle);
      expect(simPots(world)).not.toContain(taskPot(task));
    }
  });

  test("an interface the host lacks is refused by pot: the error names the field, is not retried, leaves no pot", async () => {
    const task = nomadTask(world, "nonic", seedDriverConfig(world, { network_mode: "alias", alias_ip: "em9|192.0.2.11" }));
    const err = await refused(task);
    expect(err.details).toContain("config.alias_ip: pot refused the address: em9 is not a valid network interface");
    expect(err.details).toContain('(got "em9|192.0.2.11")');
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(simPots(world)).not.toContain(taskPot(task));
  });
});

describe("private-bridge jails", () => {
  test("get an address on the named bridge, which Nomad is told, and their ports redirected to it", async () => {
    mkdirSync(join(world.simRoot, "bridges"), { recursive: true });
    writeFileSync(join(world.simRoot, "bridges", "backend"), "net=10.1.0.0/24\ngateway=10.1.0.1\nname=backend\n");
    const task = nomadTask(world, "bridged", seedDriverConfig(world, { network_mode: "private-bridge", bridge: "backend" }));
    const started = await startTask(plugin, task);
    const address = started.networkOverride?.addr ?? "";
    expect(address).toMatch(/^10\.1\.0\.\d+$/);
    expect(address).not.toBe("10.1.0.1");
    expect(started.networkOverride?.portMap).toEqual({ http: 80 });
    expect(potConf(task)).toContain("bridge=backend");
    expect(rdrRules(task)).toEqual([`rdr pass on em0 proto tcp from any to (em0) port 28080 -> ${address} port 80`]);
    await stopAndDestroy(task);
  });

  test("a bridge pot does not have is refused naming it, before any pot exists", async () => {
    const before = simPots(world).length;
    const task = nomadTask(world, "nobridge", seedDriverConfig(world, { network_mode: "private-bridge", bridge: "nope" }));
    const err = await refused(task);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toContain('config.bridge: no private bridge named "nope"');
    expect(simPots(world).length).toBe(before);
  });
});

describe("user", () => {
  test("without user the command runs as root (the control)", async () => {
    const task = nomadTask(world, "asroot", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    await startTask(plugin, task);
    await waitFor("creds line", () => task.stdout().includes("creds:"));
    expect(task.stdout()).toContain("creds: uid=0 gid=0 groups=0,5");
    await stopAndDestroy(task);
  });

  test("user www: the command and alloc exec run as www, with www's own groups", async () => {
    const task = nomadTask(world, "asuser", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    task.config.user = "www";
    const started = await startTask(plugin, task);
    await waitFor("creds line", () => task.stdout().includes("creds:"));
    expect(task.stdout()).toContain("creds: uid=80 gid=80 groups=80,2000 user=www home=/nonexistent");
    const state = JSON.parse(Buffer.from(started.handle?.driverState ?? []).toString()) as { user?: { uid: number } };
    expect(state.user?.uid).toBe(80);

    const exec = await execTask(plugin, task, [
      "sh",
      "-c",
      'echo "exec: uid=$POT_SIM_UID gid=$POT_SIM_GID groups=$POT_SIM_GROUPS user=$USER"',
    ]);
    expect(Buffer.from(exec.stdout).toString()).toContain("exec: uid=80 gid=80 groups=80,2000 user=www");
    expect(exec.result?.exitCode).toBe(0);

    // nomad alloc exec streams (ExecTaskStreaming): the same switch applies.
    const session = openExecStream(plugin);
    const { call } = session;
    call.write({
      setup: { taskId: task.config.id, command: ["sh", "-c", 'echo "stream: uid=$POT_SIM_UID"; exit 3'], tty: false },
      ttySize: undefined,
      stdin: undefined,
    });
    const exited = await waitFor("streamed exec exit", session.exited);
    call.end();
    expect(session.stdout()).toContain("stream: uid=80\n");
    expect(exited.result?.exitCode).toBe(3);
    await stopAndDestroy(task);
  });

  test("after kill -9 of the plugin, exec in the recovered task still runs as the task's user", async () => {
    const task = nomadTask(world, "recovered", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    task.config.user = "www";
    const started = await startUnderKilledPlugin(world, task);
    const second = await launchConfiguredPlugin(world);
    try {
      // Nomad's handle after an agent restart carries no driver config.
      const handle = handleAfterAgentRestart(started);
      await unary(second.driver.recoverTask, second.driver, { taskId: "", handle });
      const exec = await execTask(second, task, ["sh", "-c", 'echo "exec: uid=$POT_SIM_UID"']);
      expect(Buffer.from(exec.stdout).toString()).toContain("exec: uid=80\n");
      await stopTask(second, task);
      await destroyTask(second, task);
    } finally {
      second.close();
    }
  });

  test("an account with a home and a supplementary group gets both", async () => {
    const task = nomadTask(world, "asapp", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    task.config.user = "app";
    await startTask(plugin, task);
    await waitFor("creds line", () => task.stdout().includes("creds:"));
    expect(task.stdout()).toContain("creds: uid=1001 gid=1001 groups=1001,2000 user=app home=/home/app");
    await stopAndDestroy(task);
  });

  test("a user the jail does not have fails the start, names it, and leaves no pot", async () => {
    const task = nomadTask(world, "ghost", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    task.config.user = "ghost";
    const err = await refused(task);
    expect(err.details).toContain("task.user");
    expect(err.details).toContain('"ghost"');
    expect(err.details).toContain("no such user");
    expect(simPots(world)).not.toContain(taskPot(task));
  });

  test("a malformed user is refused before any pot exists", async () => {
    const task = nomadTask(world, "baduser", seedDriverConfig(world, { command: "creds", network_mode: "host", port_map: null }));
    task.config.user = "www:wheel";
    const err = await refused(task);
    expect(err.details).toContain("task.user: must be a login name");
    expect(err.details).toContain('"www:wheel"');
    expect(simPots(world)).not.toContain(taskPot(task));
  });

  test("without command, the image's own command runs as the user", async () => {
    await buildPotImage(join(world.root, "images"), {
      name: "creds-image",
      tag: "1.0",
      files: { "/usr/local/bin/creds": CREDS, ...freebsdBase() },
      potConf: exportedPotConf({ "pot.cmd": "creds" }),
    });
    const task = nomadTask(
      world,
      "imagecmd",
      seedDriverConfig(world, {
        pot: "creds-image",
        command: null,
        network_mode: "host",
        port_map: null,
        copy: null,
        mount: null,
        mount_read_only: null,
      }),
    );
    task.config.user = "www";
    await startTask(plugin, task);
    await waitFor("creds line", () => task.stdout().includes("creds:"));
    expect(task.stdout()).toContain("creds: uid=80 gid=80 groups=80 user=www");
    await stopAndDestroy(task);
  });
});

describe("dns", () => {
  test("the group's dns block becomes the jail's resolv.conf; no temporary file is left", async () => {
    const task = nomadTask(world, "resolver", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    task.config.dns = {
      servers: ["192.0.2.53", "2001:db8::53"],
      searches: ["service.consul", "example.org"],
      options: ["ndots:2", "edns0"],
    };
    await startTask(plugin, task);
    const exec = await execTask(plugin, task, ["sh", "-c", 'cat "$POT_SIM_JAIL_ROOT/etc/resolv.conf"']);
    const text = Buffer.from(exec.stdout).toString();
    expect(text).toContain("search service.consul example.org\n");
    expect(text).toContain("nameserver 192.0.2.53\nnameserver 2001:db8::53\n");
    expect(text).toContain("options ndots:2 edns0\n");
    expect(potConf(task)).toContain("pot.dns=custom");
    expect(readdirSync(world.stateDir).filter((n) => n.startsWith(".resolv-"))).toEqual([]);
    await stopAndDestroy(task);
  });

  test("a value the jail's resolver would drop is refused naming it", async () => {
    const task = nomadTask(world, "baddns", seedDriverConfig(world, { command: "stubborn", network_mode: "host", port_map: null }));
    task.config.dns = { servers: ["dns.example"], searches: [], options: ["timeout:1", "bogus"] };
    const err = await refused(task);
    expect(err.details).toContain('task.dns.servers[0]: must be an IPv4 or IPv6 address (got "dns.example")');
    expect(err.details).toContain("task.dns.options[1]");
    expect(err.details).toContain('"bogus"');
    expect(simPots(world)).not.toContain(taskPot(task));
  });
});
