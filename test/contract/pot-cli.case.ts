// The pot behaviour contract (docs/pot-behaviour.md), exercised through src/pot's PotCli against any pot binary.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskOutcome } from "../../src/driver/task-exit.ts";
import { PotCli, silentLogger } from "../../src/pot/pot-cli.ts";
import { SpawnRunner, type CommandResult } from "../../src/pot/runner.ts";
import { TIMEOUT_MULTIPLIER } from "../setup.ts";
import { type RunningCommand, spawnCollecting } from "../support/command.ts";
import { potRejection } from "../support/pot-error.ts";
import { waitFor } from "../support/wait.ts";

/** What a contract run needs from the pot under test. */
export interface PotTarget {
  potPath: string;
  /** Extra environment for every pot process (e.g. POT_SIM_ROOT). */
  env: Record<string, string>;
  /** An image whose jail has /bin/sh, sleep, cat and env, served at `url`. */
  image: { url: string; name: string; tag: string };
  /** A base URL where nothing is served (the import must fail). */
  unreachableUrl: string;
  /** The host path of a pot's jail root (`<POT_FS_ROOT>/jails/<pot>/m`). */
  jailRoot(potName: string): string;
  /** Removes everything the run created outside pot (servers, temp dirs). */
  close(): Promise<void>;
}

/** Builds the target; called once before the suite. */
export type TargetSetup = () => Promise<PotTarget>;

/** Jail commands that read files refer to them as "$J/path": empty on real pot, the jail root in the simulator. */
const J = "${POT_SIM_JAIL_ROOT}";

const DEADLINE_MS = 20_000 * TIMEOUT_MULTIPLIER;

/**
 * Whether pot has marked the pot started with its main pid recorded: only then do signal and stop work (the
 * jail exists half a second earlier; docs/pot-behaviour.md, "Start").
 */
async function isStarted(pot: PotCli, name: string): Promise<boolean> {
  return (await pot.startProbe(name)).started();
}

/**
 * Defines the whole suite under `label`. With `{ skip }` every case is registered as skipped and the reason is
 * printed; otherwise `setup` builds the target before the first case.
 */
export function definePotCliContract(label: string, setup: TargetSetup | { skip: string }): void {
  let target: PotTarget | undefined;
  let pot: PotCli;
  const runner = new SpawnRunner();
  const created: string[] = [];
  /** Host files and dirs the cases copy and mount in; made in beforeAll (a skipped suite makes none), removed in afterAll. */
  let hostDir = "";
  let serial = 0;
  const skipReason = typeof setup === "function" ? undefined : setup.skip;
  if (skipReason !== undefined) console.log(`[${label}] skipped: ${skipReason}`);

  beforeAll(async () => {
    if (typeof setup !== "function") return;
    hostDir = mkdtempSync(join(tmpdir(), "pot-contract-"));
    target = await setup();
    pot = new PotCli(target.potPath, runner, { env: target.env, logger: silentLogger() });
  });

  afterAll(async () => {
    try {
      if (target === undefined) return;
      for (const name of created) {
        await pot.destroy(name, { force: true }).catch(() => undefined);
      }
      await target.close();
    } finally {
      if (hostDir !== "") rmSync(hostDir, { recursive: true, force: true });
    }
  });

  const it = (name: string, body: (t: PotTarget) => Promise<void>, timeoutMs = 60_000) => {
    if (skipReason !== undefined) {
      test.skip(name, () => {});
      return;
    }
    test(
      name,
      async () => {
        if (target === undefined) throw new Error("the contract target was not set up");
        await body(target);
      },
      timeoutMs * TIMEOUT_MULTIPLIER,
    );
  };

  const raw = (t: PotTarget, args: string[]): Promise<CommandResult> =>
    runner.run([t.potPath, ...args], { env: t.env, timeoutMs: DEADLINE_MS });

  /** Prepares a fresh pot running `command`; returns its name. */
  async function preparePot(t: PotTarget, command: string, extra: Partial<Parameters<PotCli["prepare"]>[0]> = {}): Promise<string> {
    serial++;
    const allocId = `${process.pid.toString(16)}${serial}_${Date.now().toString(16)}`;
    const result = await pot.prepare({
      imageUrl: t.image.url,
      imageName: t.image.name,
      tag: t.image.tag,
      allocId,
      name: "contract",
      command,
      ...extra,
    });
    created.push(result.potName);
    return result.potName;
  }

  function startPot(t: PotTarget, potName: string): RunningCommand {
    return spawnCollecting(pot.startArgv(potName), { ...process.env, ...t.env });
  }

  async function runToEnd(t: PotTarget, potName: string) {
    return startPot(t, potName).exited;
  }

  describe(`pot contract (${label})`, () => {
    describe("command line conventions", () => {
      it("version -q is a dotted version", async () => {
        const version = await pot.version();
        expect(version.text).toMatch(/^\d+\.\d+\.\d+$/);
        expect(version.major * 100 + version.minor).toBeGreaterThanOrEqual(15);
      });

      it("messages go to stdout with the `###>  ` prefix (two spaces), then the help text", async (t) => {
        const result = await raw(t, ["prepare", "-p", "x", "-t", "1"]);
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toStartWith("###>  An allocation id is mandatory\n");
        expect(result.stdout).toContain("pot prepare");
      });

      it("an unknown flag prints the help text and exits 1", async (t) => {
        const result = await raw(t, ["stop", "-k", "x"]);
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toMatch(/^pot stop /m);
        expect(result.stderr).toContain("-k");
      });

      it("a missing option argument exits 1", async (t) => {
        const result = await raw(t, ["info", "-p"]);
        expect(result.exitCode).toBe(1);
      });

      it("-h prints help and exits 0", async (t) => {
        const result = await raw(t, ["last-run-stats", "-h"]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toMatch(/^pot last-run-stats /m);
      });

      it("options combine as with getopts (-qr)", async (t) => {
        const name = await preparePot(t, "sleep 0");
        expect((await raw(t, ["info", "-qr", "-p", name])).exitCode).toBe(1);
        expect((await raw(t, ["info", "-qp", name])).exitCode).toBe(0);
      });

      it("a bad signal name is refused", async (t) => {
        const result = await raw(t, ["signal", "-s", "SIGBOGUS", "-p", "whatever"]);
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toStartWith("###>  Invalid signal, valid signals:");
      });
    });

    describe("prepare", () => {
      it("names the pot <name>_<allocId> with dots replaced and prints Prepared", async (t) => {
        const allocId = `dots.${Date.now().toString(16)}`;
        const result = await pot.prepare({ imageUrl: t.image.url, imageName: t.image.name, tag: t.image.tag, allocId, name: "web.front" });
        created.push(result.potName);
        expect(result.potName).toBe(`web_front_${allocId.replaceAll(".", "_")}`);
        expect(result.warnings).toEqual([]);
        const names = await pot.list();
        expect(names).toContain(result.potName);
        expect(names).toContain(`${t.image.name}_${t.image.tag}`.replaceAll(".", "_"));
        expect(await pot.exists(result.potName)).toBe(true);
      });

      it("reuses an already imported image (the URL is not used again)", async (t) => {
        await preparePot(t, "sleep 0");
        const again = await pot.prepare({
          imageUrl: t.unreachableUrl,
          imageName: t.image.name,
          tag: t.image.tag,
          allocId: `reuse_${Date.now().toString(16)}`,
        });
        created.push(again.potName);
        expect(await pot.exists(again.potName)).toBe(true);
      });

      it("refuses a name that already exists", async (t) => {
        const name = await preparePot(t, "sleep 0");
        const allocId = name.slice("contract_".length);
        await potRejection(
          pot.prepare({ imageUrl: t.image.url, imageName: t.image.name, tag: t.image.tag, allocId, name: "contract" }),
          "already-exists",
        );
      });

      it("fails with exit 1 when the image cannot be fetched", async (t) => {
        const allocId = `missing_${Date.now().toString(16)}`;
        const error = await potRejection(
          pot.prepare({ imageUrl: t.unreachableUrl, imageName: "no-such-image", tag: "0.0", allocId }),
          "failed",
        );
        expect(error.exitCode).toBe(1);
        expect(error.outputTail).toContain("no-such-image");
        expect(await pot.exists(`no-such-image_0_0_${allocId}`)).toBe(false);
        expect(await pot.exists("no-such-image_0_0")).toBe(false);
      });

      it("stores the -e specs in reverse order; export-ports replaces them", async (t) => {
        const name = await preparePot(t, "sleep 0", {
          networkType: "public-bridge",
          ports: [
            { potPort: 80, hostPort: 30080 },
            { potPort: 443, hostPort: 30443, protocol: "tcp" },
          ],
        });
        const info = await pot.info(name, { verbose: true });
        expect(info.networkType).toBe("public-bridge");
        expect(info.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        expect(info.exportedPorts).toEqual(["tcp:443:30443", "80:30080"]);
        expect((await raw(t, ["export-ports", "-p", name, "-e", "8080:31000"])).exitCode).toBe(0);
        expect((await pot.info(name, { verbose: true })).exportedPorts).toEqual(["8080:31000"]);
      });

      it("keeps udp: and tcp: specs of one port side by side (both protocols on one host port)", async (t) => {
        const name = await preparePot(t, "sleep 0", {
          networkType: "public-bridge",
          ports: [
            { potPort: 53, hostPort: 30053, protocol: "tcp" },
            { potPort: 53, hostPort: 30053, protocol: "udp" },
          ],
        });
        expect((await pot.info(name, { verbose: true })).exportedPorts).toEqual(["udp:53:30053", "tcp:53:30053"]);
      });

      it("lists private bridges with ls -B -q and reports fs_root with config -q -g", async () => {
        expect(Array.isArray(await pot.bridges())).toBe(true);
        expect(await pot.fsRoot()).toMatch(/^\//);
      });

      it("makes the pot non-persistent, without rc script, prunable", async (t) => {
        const info = await pot.info(await preparePot(t, "sleep 0"));
        expect(info.attributes).toMatchObject({
          persistent: "NO",
          "no-rc-script": "YES",
          prunable: "YES",
          "localhost-tunnel": "YES",
          "no-etc-hosts": "YES",
          "no-tmpfs": "YES",
        });
        expect(info.active).toBe(false);
      });
    });

    describe("start", () => {
      it("last-run-stats is {} before the first start", async (t) => {
        expect(await pot.lastRunStats(await preparePot(t, "sleep 0"))).toEqual({ kind: "empty" });
      });

      it("blocks until the command exits 0, then records ExitCode 0 and exits 0", async (t) => {
        const name = await preparePot(t, "/bin/sh -c 'echo to-stdout; echo to-stderr >&2'");
        const result = await runToEnd(t, name);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toContain("to-stdout\n");
        expect(result.stderr).toContain("to-stderr\n");
        expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 0 });
        expect(await pot.isRunning(name)).toBe(false);
      });

      it("exits 125 and records the code when the command fails", async (t) => {
        const name = await preparePot(t, "/bin/sh -c 'exit 3'");
        const result = await runToEnd(t, name);
        expect(result.exitCode).toBe(125);
        expect(result.stdout).toContain(`###>  ${name} reported application error`);
        const stats = await pot.lastRunStats(name);
        expect(stats).toEqual({ kind: "recorded", exitCode: 3 });
        expect(taskOutcome({ kind: "exited", exitCode: 125, signal: 0 }, stats)).toEqual({
          kind: "exited",
          exitCode: 3,
          signal: 0,
          oomKilled: false,
        });
      });

      it("runs the command through the jail's sh (quotes honoured)", async (t) => {
        const name = await preparePot(t, `/bin/sh -c 'printf "[%s]" "a b" c'`);
        expect((await runToEnd(t, name)).stdout).toContain("[a b][c]");
      });

      it("reports running while the command lives; a second start returns 0 at once", async (t) => {
        const name = await preparePot(t, "sleep 30");
        const first = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        expect((await pot.info(name)).active).toBe(true);
        const second = await runner.run(pot.startArgv(name), { env: t.env, timeoutMs: DEADLINE_MS });
        expect(second.exitCode).toBe(0);
        await pot.stop(name);
        await first.exited;
        expect(await pot.isRunning(name)).toBe(false);
      });
    });

    describe("stop and destroy", () => {
      it("stop of a name that is not a pot exits 0 (not-found)", async () => {
        expect(await pot.stop("contract_no_such_pot")).toBe("not-found");
      });

      it("stop of a pot never started fails (locked)", async (t) => {
        const name = await preparePot(t, "sleep 0");
        const error = await potRejection(pot.stop(name), "locked");
        expect(error.exitCode).toBe(1);
        expect(error.potErrors).toContain(`pot ${name} is not in a state where it can be stopped`);
      });

      it("an external stop ends the command with SIGTERM and records 143", async (t) => {
        const name = await preparePot(t, "sleep 30");
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        expect(await pot.stop(name)).toBe("stopped");
        const result = await running.exited;
        expect([0, 1, 125]).toContain(result.exitCode as number);
        const stats = await pot.lastRunStats(name);
        expect(stats).toEqual({ kind: "recorded", exitCode: 143 });
        expect(taskOutcome({ kind: "exited", exitCode: result.exitCode ?? 1, signal: 0 }, stats)).toEqual({
          kind: "exited",
          exitCode: 143,
          signal: 15,
          oomKilled: false,
        });
        expect(await pot.isRunning(name)).toBe(false);
      });

      it("a concurrent second stop is refused with `already stopping!`", async (t) => {
        const name = await preparePot(t, `/bin/sh -c 'trap "echo term > ${J}/tmp/got-term" TERM; while :; do sleep 0.2; done'`);
        await pot.setAttr(name, "stop_timeout", 3);
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        const first = pot.stop(name);
        // pot marks the pot stopping before jail -r sends SIGTERM, which the command notes in a file.
        await waitFor("the command to get SIGTERM", () => existsSync(join(t.jailRoot(name), "tmp/got-term")));
        const error = await potRejection(pot.stop(name), "locked");
        expect(error.potErrors).toContain(`pot ${name} is already stopping!`);
        expect(await first).toBe("stopped");
        await running.exited;
        expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 137 });
      });

      it("destroy refuses a running pot without -F, destroys it with -F, and a second destroy finds nothing", async (t) => {
        const name = await preparePot(t, "sleep 30");
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        const error = await potRejection(pot.destroy(name), "locked");
        expect(error.potErrors).toContain(`pot ${name} is running`);
        expect(await pot.destroy(name, { force: true })).toBe("destroyed");
        await running.exited;
        expect(await pot.exists(name)).toBe(false);
        expect(await pot.list()).not.toContain(name);
        expect(await pot.destroy(name)).toBe("not-found");
        expect((await raw(t, ["destroy", "-p", name])).exitCode).toBe(1);
      });

      it("last-run-stats of a missing pot is not-found", async () => {
        await potRejection(pot.lastRunStats("contract_missing"), "not-found");
      });
    });

    describe("configuration", () => {
      it("set-env replaces the whole environment set", async (t) => {
        const name = await preparePot(t, `/bin/sh -c 'echo "A=\${A:-unset} B=\${B:-unset} C=\${C:-unset}"'`);
        await pot.setEnv(name, { A: "1", B: "2" });
        await pot.setEnv(name, { B: "3", C: "with space" });
        expect((await runToEnd(t, name)).stdout).toContain("A=unset B=3 C=with space\n");
      });

      it("set-hosts replaces the extra /etc/hosts entries", async (t) => {
        const name = await preparePot(t, `cat "${J}/etc/hosts"`);
        await pot.setHosts(name, [{ hostname: "old.example", ip: "10.9.9.9" }]);
        await pot.setHosts(name, [
          { hostname: "db.example", ip: "10.1.2.3" },
          { hostname: "v6.example", ip: "::1" },
        ]);
        const hosts = (await runToEnd(t, name)).stdout;
        expect(hosts).toContain("10.1.2.3 db.example");
        expect(hosts).toContain("::1 v6.example");
        expect(hosts).not.toContain("old.example");
      });

      it("set-attr replaces one attribute", async (t) => {
        const name = await preparePot(t, "sleep 0");
        await pot.setAttr(name, "stop_timeout", 5);
        await pot.setAttr(name, "stop_timeout", 7);
        await pot.setAttr(name, "procfs", true);
        const info = await pot.info(name);
        expect(info.jailAttributes.stop_timeout).toBe("7");
        expect(info.jailAttributes.procfs).toBe("YES");
        await potRejection(pot.setAttr(name, "stop_timeout", "soon"), "invalid-argument");
      });

      it("set-rss replaces memory and cpus", async (t) => {
        const name = await preparePot(t, "sleep 0");
        await pot.setRss(name, { memoryMb: 64 });
        await pot.setRss(name, { memoryMb: 128, cpus: 2 });
        expect((await pot.info(name, { verbose: true })).resourceLimits).toEqual({ cpus: "2", memory: "128M" });
        const bad = await raw(t, ["set-rss", "-p", name, "-M", "1.5G"]);
        expect(bad.exitCode).toBe(1);
        expect(bad.stdout).toContain("###>  1.5G is not a valid memory constraint");
      });

      it("set-cmd replaces the command", async (t) => {
        const name = await preparePot(t, "/bin/sh -c 'echo first'");
        await pot.setCmd(name, "/bin/sh -c 'echo second'");
        const out = (await runToEnd(t, name)).stdout;
        expect(out).toContain("second\n");
        expect(out).not.toContain("first\n");
      });

      it("copy-in copies a file into the jail root, -c creates its directories", async (t) => {
        const name = await preparePot(t, `cat "${J}/opt/contract/in.txt"`);
        const source = join(hostDir, `copy-${serial}.txt`);
        writeFileSync(source, "copied content\n");
        await potRejection(pot.copyIn(name, { source, destination: "/opt/contract/in.txt" }), "failed");
        await pot.copyIn(name, { source, destination: "/opt/contract/in.txt", createDirs: true });
        expect(readFileSync(join(t.jailRoot(name), "opt/contract/in.txt"), "utf8")).toBe("copied content\n");
        expect((await runToEnd(t, name)).stdout).toContain("copied content\n");
      });

      it("copy-in on a running pot needs -F", async (t) => {
        const name = await preparePot(t, "sleep 30");
        const source = join(hostDir, `running-${serial}.txt`);
        writeFileSync(source, "x\n");
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        await potRejection(pot.copyIn(name, { source, destination: "/tmp/x.txt" }), "locked");
        await pot.copyIn(name, { source, destination: "/tmp/x.txt", force: true });
        await pot.stop(name);
        await running.exited;
      });

      it("mount-in makes a host directory visible at the mount point", async (t) => {
        const name = await preparePot(t, `cat "${J}/data/in.txt"`);
        const dir = join(hostDir, `mount-${serial}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "in.txt"), "mounted content\n");
        await pot.mountIn(name, { dir, mountPoint: "/data" });
        // mount-in refuses a directory it finds in fscomp.conf already (its mount-point check never fires for -d).
        const again = await potRejection(pot.mountIn(name, { dir, mountPoint: "/other" }), "invalid-argument");
        expect(again.potErrors).toEqual([`Directory ${dir} not valid, already used or already part of the pot`]);
        expect((await runToEnd(t, name)).stdout).toContain("mounted content\n");
      });
    });

    describe("running jail", () => {
      it("signal reaches the main process; the exit is recorded", async (t) => {
        const name = await preparePot(t, `/bin/sh -c 'trap "exit 7" USR1; while :; do sleep 0.1; done'`);
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        await pot.signal(name, "SIGUSR1");
        const result = await running.exited;
        expect(result.exitCode).toBe(125);
        expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 7 });
      });

      it("signal names work without SIG too; a stopped pot is not-found", async (t) => {
        const name = await preparePot(t, "sleep 30");
        await potRejection(pot.signal(name, "TERM"), "not-found");
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        await pot.signal(name, "TERM");
        expect((await running.exited).exitCode).toBe(125);
        expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 143 });
      });

      it("exec runs inside the jail and propagates the exit code", async (t) => {
        const name = await preparePot(t, "sleep 30");
        await potRejection(pot.exec(name, ["/bin/sh", "-c", "true"]), "not-found");
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        const ok = await pot.exec(name, ["/bin/sh", "-c", "echo inside; exit 3"]);
        expect(ok.exitCode).toBe(3);
        expect(ok.stdout).toContain("inside\n");
        const withEnv = await pot.exec(name, ["/bin/sh", "-c", 'echo "V=$V"'], { env: { V: "from-exec" } });
        expect(withEnv.stdout).toContain("V=from-exec\n");
        // -U looks the account up in the jail (jexec -l -U): an unknown one is jexec's error, exit 1.
        const unknown = await raw(t, ["exec", "-U", "no-such-account", "-p", name, "--", "/bin/sh", "-c", "true"]);
        expect(unknown.exitCode).toBe(1);
        expect(unknown.stderr).toContain("no-such-account: no such user");
        await pot.stop(name);
        await running.exited;
      });

      it("get-rss -J is one line with a trailing space and needs a running jail", async (t) => {
        const name = await preparePot(t, "sleep 30");
        const notRunning = await raw(t, ["get-rss", "-p", name, "-J"]);
        expect(notRunning.exitCode).toBe(1);
        expect(notRunning.stdout).toContain(`###>  The pot ${name} is not running\n`);
        const running = startPot(t, name);
        await waitFor("pot to mark the pot started", () => isStarted(pot, name));
        const result = await raw(t, ["get-rss", "-p", name, "-J"]);
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toMatch(
          /^\{ "ResourceUsage": \{ "MemoryStats": \{ "RSS" : \d+, "Swap" : \d+ \}, "CpuStats": \{ "TotalTicks": \d+\.\d{3}, "Percent": \d+ \} \} \} \n$/,
        );
        expect(Number(/"RSS" : (\d+)/.exec(result.stdout)?.[1])).toBeGreaterThan(0);
        await pot.stop(name);
        await running.exited;
      });
    });
  });
}
