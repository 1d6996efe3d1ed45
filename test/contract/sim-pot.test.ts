// Runs the pot contract against the simulator, then pins what only the simulator offers (knobs, call log,
// image transport, locking, real processes).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { taskOutcome } from "../../src/driver/task-exit.ts";
import { PotError } from "../../src/pot/errors.ts";
import { PotCli, silentLogger } from "../../src/pot/pot-cli.ts";
import { SpawnRunner } from "../../src/pot/runner.ts";
import { potVersion } from "../../src/pot/version-probe.ts";
import { getopts } from "../fakes/pot-sim/getopts.ts";
import { exportedPotConf, startSimulator, type Simulator } from "../fakes/simulator.ts";
import { TIMEOUT_MULTIPLIER } from "../setup.ts";
import { commandOf, flockWaiterExists, holdsFlock, isLiveProcess } from "../support/host.ts";
import { spawnCollecting } from "../support/command.ts";
import { potRejection } from "../support/pot-error.ts";
import { waitFor } from "../support/wait.ts";
import { definePotCliContract } from "./pot-cli.case.ts";

definePotCliContract("simulator", async () => {
  const sim = await startSimulator({ images: [{ name: "contract-img", tag: "1.0", potConf: exportedPotConf() }] });
  return {
    potPath: sim.potPath,
    env: sim.env,
    image: { url: sim.imageUrl, name: "contract-img", tag: "1.0" },
    unreachableUrl: `${sim.imageUrl}/nothing-here`,
    jailRoot: sim.jailRoot,
    close: sim.close,
  };
});

/** Every simulator case spawns several pot processes; give each its own generous deadline. */
const CASE_TIMEOUT_MS = 30_000 * TIMEOUT_MULTIPLIER;
const it = (name: string, body: () => Promise<void>) => test(name, body, CASE_TIMEOUT_MS);

describe("simulator specifics", () => {
  let sim: Simulator;
  let pot: PotCli;
  const runner = new SpawnRunner();
  let serial = 0;

  beforeAll(async () => {
    sim = await startSimulator({
      images: [
        {
          name: "sim-img",
          tag: "2.1",
          potConf: exportedPotConf(),
          files: { "/usr/local/bin/hello": { content: '#!/bin/sh\necho "hello $1 from $_POT_NAME"\n', mode: 0o755 } },
        },
      ],
    });
    pot = new PotCli(sim.potPath, runner, { env: sim.env, logger: silentLogger() });
  });
  afterAll(async () => {
    await sim.close();
  });

  const prepare = async (command = "sleep 0", extra: Partial<Parameters<PotCli["prepare"]>[0]> = {}) => {
    serial++;
    const result = await pot.prepare({
      imageUrl: sim.imageUrl,
      imageName: "sim-img",
      tag: "2.1",
      allocId: `s${serial}_${Date.now().toString(16)}`,
      name: "sim",
      command,
      ...extra,
    });
    return result.potName;
  };

  const startPot = (potName: string, env: Record<string, string> = {}) =>
    spawnCollecting(pot.startArgv(potName), { ...process.env, ...sim.env, ...env });

  const started = async (potName: string) => (await pot.startProbe(potName)).started();

  const status = (potName: string) => {
    const file = join(sim.root, "tmp", `pot_status_${potName}`);
    return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
  };

  describe("invocation log", () => {
    it("records argv, cwd and the POT_/NOMAD_ environment of every call", async () => {
      const before = sim.invocations().length;
      const result = await runner.run([sim.potPath, "ls", "-q"], {
        env: { ...sim.env, NOMAD_TASK_NAME: "web", UNRELATED: "x" },
        cwd: sim.root,
      });
      expect(result.exitCode).toBe(0);
      const record = sim.invocations().slice(before).at(-1);
      expect(record?.argv).toEqual(["ls", "-q"]);
      expect(record?.cwd).toBe(sim.root);
      expect(record?.env).toEqual({ POT_SIM_ROOT: sim.root, NOMAD_TASK_NAME: "web" });
    });
  });

  describe("version and root", () => {
    it("POT_SIM_VERSION overrides the version; version works without a root", async () => {
      const result = await runner.run([sim.potPath, "version", "-q"], {
        env: { POT_SIM_ROOT: "/nonexistent/root", POT_SIM_VERSION: "0.15.3" },
      });
      expect(result.stdout).toBe("0.15.3\n");
      expect((await runner.run([sim.potPath, "version"], { env: sim.env })).stdout).toBe("pot version: 0.16.0\n");
    });

    it("the fingerprint's version probe reads `pot version -q`", async () => {
      expect(await potVersion(sim.potPath)).toBe("0.16.0");
      await expect(potVersion("/nonexistent/pot")).rejects.toBeInstanceOf(PotError);
    });

    it("other commands need the root, and say so on stderr", async () => {
      const result = await runner.run([sim.potPath, "ls", "-q"], { env: { POT_SIM_ROOT: "/nonexistent/root" } });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe("###>  /nonexistent/root does not exist, please run 'pot init'\n");
    });

    it("no command or an unknown one prints the usage and exits 1; help exits 0", async () => {
      expect((await runner.run([sim.potPath], { env: sim.env })).exitCode).toBe(1);
      expect((await runner.run([sim.potPath, "frobnicate"], { env: sim.env })).exitCode).toBe(1);
      expect((await runner.run([sim.potPath, "help"], { env: sim.env })).exitCode).toBe(0);
      expect((await runner.run([sim.potPath, "help", "prepare"], { env: sim.env })).stdout).toStartWith("pot prepare");
    });
  });

  describe("images", () => {
    it("an imported image is cached as <pot>_<tag> with dots replaced and not fetched again", async () => {
      await prepare();
      const fetched = sim.server.requests.length;
      await prepare();
      expect(sim.server.requests.length).toBe(fetched);
      expect(await pot.exists("sim-img_2_1")).toBe(true);
      expect(existsSync(join(sim.root, "cache", "sim-img_2.1.xz"))).toBe(true);
    });

    it("a missing image is fetched twice (pot retries once) and fails like fetch(1)", async () => {
      const before = sim.server.requests.length;
      const error = await potRejection(pot.prepare({ imageUrl: sim.imageUrl, imageName: "absent", tag: "1", allocId: "x1" }), "failed");
      expect(sim.server.requests.slice(before)).toEqual(["/absent_1.xz.skein", "/absent_1.xz.skein"]);
      expect(error.outputTail).toContain(`fetch: ${sim.imageUrl}/absent_1.xz.skein: Not Found`);
      expect(error.outputTail).toContain("===>  importing absent @ 1 as absent_1");
    });

    it("an image whose checksum does not match is refused; the next try fetches it afresh", async () => {
      const built = await sim.addImage({ name: "tampered", tag: "1.0" });
      const goodSkein = readFileSync(built.skeinPath, "utf8");
      writeFileSync(built.skeinPath, `${"0".repeat(64)}\n`);
      const error = await potRejection(pot.prepare({ imageUrl: sim.imageUrl, imageName: "tampered", tag: "1.0", allocId: "t1" }), "failed");
      expect(error.potErrors).toEqual(["The image and its hash do not overlap", "The image and its hash do not overlap"]);
      expect(await pot.exists("tampered_1_0")).toBe(false);
      // pot keeps the files of the failed retry in its cache; the next import discards them and refetches.
      expect(
        readdirSync(join(sim.root, "cache"))
          .filter((f) => f.startsWith("tampered"))
          .sort(),
      ).toEqual(["tampered_1.0.xz", "tampered_1.0.xz.meta", "tampered_1.0.xz.skein"]);
      writeFileSync(built.skeinPath, goodSkein);
      const result = await pot.prepare({ imageUrl: sim.imageUrl, imageName: "tampered", tag: "1.0", allocId: "t2" });
      expect(await pot.exists(result.potName)).toBe(true);
    });

    it("an image without conf gets pot's defaults; the prepared pot inherits them", async () => {
      await sim.addImage({ name: "bare", tag: "1" });
      const result = await pot.prepare({ imageUrl: sim.imageUrl, imageName: "bare", tag: "1", allocId: "b1" });
      const info = await pot.info(result.potName);
      expect(info).toMatchObject({ type: "single", level: "0", networkType: "inherit", active: false });
      expect(info.attributes.persistent).toBe("NO");
    });

    it("the image pot cannot be destroyed while prepared pots are cloned from it", async () => {
      await sim.addImage({ name: "origin", tag: "1" });
      const clone = (await pot.prepare({ imageUrl: sim.imageUrl, imageName: "origin", tag: "1", allocId: "o1" })).potName;
      const error = await potRejection(pot.destroy("origin_1"), "failed");
      expect(error.potErrors).toContain("origin_1 destruction failed");
      expect(await pot.destroy(clone)).toBe("destroyed");
      expect(await pot.destroy("origin_1")).toBe("destroyed");
    });
  });

  describe("jail processes", () => {
    it("the command runs with the jail root as cwd, the jail PATH first, pot's exports and pot.env", async () => {
      const name = await prepare(`/bin/sh -c 'hello world; pwd; echo "J=$POT_SIM_JAIL_ROOT E=$EXTRA"'`);
      await pot.setEnv(name, { EXTRA: "from-set-env" });
      const result = await startPot(name).exited;
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`hello world from ${name}\n`);
      expect(result.stdout).toContain(`${sim.jailRoot(name)}\n`);
      expect(result.stdout).toContain(`J=${sim.jailRoot(name)} E=from-set-env\n`);
      expect(result.stdout).toStartWith(`===>  Starting the pot ${name}\n${name}: created\n`);
      expect(readFileSync(join(sim.jailRoot(name), "tmp", "tinirc"), "utf8")).toContain('export "EXTRA=from-set-env"');
    });

    it("a program named by its in-jail absolute path runs from the jail root (start and exec)", async () => {
      const name = await prepare("/usr/local/bin/hello start");
      expect((await startPot(name).exited).stdout).toContain(`hello start from ${name}\n`);
      await pot.setCmd(name, "sleep 30");
      const running = startPot(name);
      await waitFor("started", () => started(name));
      const result = await pot.exec(name, ["/usr/local/bin/hello", "exec"]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe("hello exec from \n");
      await pot.stop(name);
      await running.exited;
    });

    it("status file and main pid file follow start and stop", async () => {
      const name = await prepare("sleep 30");
      expect(status(name)).toBeNull();
      const running = startPot(name);
      await waitFor("started", () => status(name) === "pot.status=started,");
      const mainPid = Number(readFileSync(join(sim.root, "tmp", `pot_main_pid_${name}`), "utf8"));
      expect(isLiveProcess(mainPid)).toBe(true);
      expect(commandOf(mainPid)).toBe("sleep");
      expect(await pot.stop(name)).toBe("stopped");
      expect(isLiveProcess(mainPid)).toBe(false);
      // 0 when pot start met the pot still stopping, 125 (command ended by SIGTERM) when stop had finished.
      expect([0, 125]).toContain((await running.exited).exitCode as number);
      expect(status(name)).toBe("pot.status=stopped,");
      expect(existsSync(join(sim.root, "tmp", `pot_main_pid_${name}`))).toBe(false);
    });

    it("start marks the pot started only after its settle time: before that info -r says running, signal fails, stop is refused", async () => {
      const name = await prepare("sleep 30");
      sim.setKnobs({ "start-settle": { action: "delay", delayMs: 60_000, pot: name } });
      const running = startPot(name);
      await waitFor("the jail", () => existsSync(join(sim.root, "run", `${name}.json`)) && status(name) === "pot.status=starting,");
      expect(await pot.isRunning(name)).toBe(true);
      expect(await started(name)).toBe(false);
      const signalled = await potRejection(pot.signal(name, "TERM"), "failed");
      expect(signalled.potErrors).toEqual(["Sending signal failed"]);
      const stopped = await potRejection(pot.stop(name), "locked");
      expect(stopped.potErrors).toEqual([`pot ${name} is not in a state where it can be stopped`]);
      const destroyed = await potRejection(pot.destroy(name, { force: true }), "locked");
      expect(destroyed.potErrors).toContain(`pot ${name} is not in a state where it can be stopped`);
      sim.setKnobs(null);
      running.proc.kill("SIGKILL");
      await running.proc.exited;
      // Left in `starting` by a killed pot start, with the command running and start's mounts in place.
      expect(status(name)).toBe("pot.status=starting,");
      expect((await potRejection(pot.destroy(name, { force: true }), "locked")).potErrors).toContain(
        `pot ${name} is not in a state where it can be stopped`,
      );
      // Once the jail is empty, destroy gets past the stop but zfs cannot unmount under the mounts.
      const jail = JSON.parse(readFileSync(join(sim.root, "run", `${name}.json`), "utf8")) as { mainPid: number };
      process.kill(jail.mainPid, "SIGKILL");
      await waitFor("the jail to empty", async () => !(await pot.isRunning(name)));
      const busy = await potRejection(pot.destroy(name, { force: true }), "failed");
      expect(busy.potErrors).toEqual([`zfs failed to destroy the dataset zroot/pot/jails/${name}`, `${name} destruction failed`]);
      // What frees it: the status machine's way out of starting, then a stop that unmounts.
      expect(await pot.setStatus(name, "doa")).toBe(0);
      expect(await pot.stop(name)).toBe("stopped");
      expect(await pot.destroy(name, { force: true })).toBe("destroyed");
    });

    it("pot stop returns once the jail is gone, without waiting for pot start to record the exit", async () => {
      const name = await prepare("sleep 30");
      await pot.setAttr(name, "stop_timeout", 30);
      const running = startPot(name);
      await waitFor("started", () => started(name));
      process.kill(running.proc.pid, "SIGSTOP");
      try {
        // A stop that waited for the frozen pot start would take stop_timeout + 10 s; the deadline is shorter.
        const stop = await pot.stop(name, { timeoutMs: 15_000 });
        expect(stop).toBe("stopped");
        expect(await pot.lastRunStats(name)).toEqual({ kind: "empty" });
      } finally {
        process.kill(running.proc.pid, "SIGCONT");
      }
      const result = await running.exited;
      expect(result.exitCode).toBe(125);
      expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 143 });
      expect(status(name)).toBe("pot.status=stopped,");
    });

    it("killing only `pot start` leaves the command running with nothing recorded (no trap in pot)", async () => {
      const name = await prepare("sleep 30");
      const running = startPot(name);
      await waitFor("started", () => status(name) === "pot.status=started,");
      running.proc.kill("SIGKILL");
      await running.proc.exited;
      expect(await pot.isRunning(name)).toBe(true);
      expect(status(name)).toBe("pot.status=started,");
      expect(await pot.stop(name)).toBe("stopped");
      expect(await pot.isRunning(name)).toBe(false);
      // The jailed command held start's output pipes; they close with it.
      await running.exited;
      const stats = await pot.lastRunStats(name);
      expect(stats).toEqual({ kind: "empty" });
      expect(taskOutcome({ kind: "exited", exitCode: 137, signal: 9 }, stats).kind).toBe("unknown");
    });

    it("get-rss reports the real resident memory of the jail's processes; rctl off fails", async () => {
      const name = await prepare(`/bin/sh -c 'x=$(head -c 40000000 /dev/zero | tr "\\\\0" a); echo ready; sleep 30'`);
      const running = startPot(name);
      await waitFor("started", () => started(name));
      const getRss = (env: Record<string, string>) => runner.run([sim.potPath, "get-rss", "-p", name, "-J"], { env });
      const rssBytes = (stdout: string) => Number(/"RSS" : (\d+)/.exec(stdout)?.[1] ?? 0);
      await waitFor("the memory to be allocated", async () => rssBytes((await getRss(sim.env)).stdout) > 40_000_000);
      const rctlOff = await getRss({ ...sim.env, POT_SIM_RACCT: "0" });
      expect(rctlOff.exitCode).toBe(1);
      expect(rctlOff.stdout).toBe("###>  To get resource usage, rctl has to be enabled\n");
      await pot.stop(name);
      await running.exited;
    });

    it("stop escalates to SIGKILL after stop_timeout", async () => {
      const name = await prepare(`/bin/sh -c 'trap "" TERM; while :; do sleep 0.1; done'`);
      await pot.setAttr(name, "stop_timeout", 1);
      const running = startPot(name);
      await waitFor("started", () => started(name));
      const stopAt = Date.now();
      await pot.stop(name);
      expect(Date.now() - stopAt).toBeGreaterThanOrEqual(1000);
      await running.exited;
      expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 137 });
    });

    it("exec_stop runs inside the jail before the processes are signalled", async () => {
      const name = await prepare("sleep 30");
      await pot.setAttr(name, "exec_stop", "touch tmp/exec-stop-ran");
      const running = startPot(name);
      await waitFor("started", () => started(name));
      await pot.stop(name);
      expect(existsSync(join(sim.jailRoot(name), "tmp", "exec-stop-ran"))).toBe(true);
      await running.exited;
      expect(await pot.lastRunStats(name)).toEqual({ kind: "recorded", exitCode: 143 });
    });

    it("a second start while the first is starting or running never runs the command twice", async () => {
      const name = await prepare("sleep 30");
      const first = startPot(name);
      await waitFor("running", () => pot.isRunning(name));
      const second = await startPot(name).exited;
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toBe("");
      await waitFor("started", () => started(name));
      await pot.destroy(name, { force: true });
      await first.exited;
    });

    it("mount-in records the fscomp line and materialises a symlink; read-only is recorded", async () => {
      const name = await prepare();
      const dir = join(sim.root, "..", `host-${serial}`);
      mkdirSync(dir, { recursive: true });
      await pot.mountIn(name, { dir, mountPoint: "/srv/data", readOnly: true });
      const link = join(sim.jailRoot(name), "srv", "data");
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(dir);
      expect(readFileSync(join(sim.root, "jails", name, "conf", "fscomp.conf"), "utf8")).toBe(`${dir} /srv/data ro\n`);
      await potRejection(pot.mountIn(name, { dir: sim.jailRoot(name), mountPoint: "/x" }), "invalid-argument");
    });

    it("exec runs `jexec -l <pot> env VAR=… <command>`: root's home as cwd; a first word with = is an assignment", async () => {
      const name = await prepare("sleep 30");
      const running = startPot(name);
      await waitFor("started", () => started(name));
      const here = await pot.exec(name, ["/bin/sh", "-c", 'pwd; echo "V=$V"'], { env: { V: "from-e" } });
      expect(here.stdout).toBe(`${join(sim.jailRoot(name), "root")}\nV=from-e\n`);
      // Built by hand: PotCli refuses such commands (argv.ts), pot itself does not.
      const assigned = await runner.run([sim.potPath, "exec", "-p", name, "--", "V=from-command", "/bin/sh", "-c", 'echo "V=$V"'], {
        env: sim.env,
      });
      expect(assigned.stdout).toContain("V=from-command\n");
      const option = await runner.run([sim.potPath, "exec", "-p", name, "--", "-x", "true"], { env: sim.env });
      expect(option.exitCode).toBe(1);
      expect(option.stderr).toContain("env: illegal option -- x");
      await pot.stop(name);
      await running.exited;
    });

    it("with no-rc-script off, the environment goes to a file nothing reads and the command loses its quoting", async () => {
      const name = await prepare(`/bin/sh -c 'echo "[$GREETING]"'`);
      await pot.setEnv(name, { GREETING: "hello" });
      expect((await startPot(name).exited).stdout).toContain("[hello]\n");
      await pot.setAttr(name, "no-rc-script", false);
      const off = await startPot(name).exited;
      expect(off.stdout).not.toContain("hello");
      expect(off.exitCode).not.toBe(0);
      expect(readFileSync(join(sim.jailRoot(name), "tmp", "environment.sh"), "utf8")).toContain('export "GREETING=hello"');
    });

    it("a mount hides what was copied in under its mount point, as nullfs does", async () => {
      const name = await prepare();
      const source = join(sim.root, "..", `copied-${serial}.txt`);
      writeFileSync(source, "copied\n");
      await pot.copyIn(name, { source, destination: "/srv/conf/app.conf", createDirs: true });
      expect(readFileSync(join(sim.jailRoot(name), "srv", "conf", "app.conf"), "utf8")).toBe("copied\n");
      const dir = join(sim.root, "..", `mounted-${serial}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "other"), "from the host\n");
      await pot.mountIn(name, { dir, mountPoint: "/srv" });
      expect(existsSync(join(sim.jailRoot(name), "srv", "conf", "app.conf"))).toBe(false);
      expect(readFileSync(join(sim.jailRoot(name), "srv", "other"), "utf8")).toBe("from the host\n");
    });

    it("mount-in's own checks: the duplicate-source grep is an unanchored regex; a reused mount point is not refused", async () => {
      const name = await prepare();
      const base = join(sim.root, "..", `dup-${serial}`);
      for (const d of ["data/a.b", "xdata/a.b", "data/axb", "second"]) mkdirSync(join(base, d), { recursive: true });
      await pot.mountIn(name, { dir: join(base, "xdata", "a.b"), mountPoint: "/one" });
      // The line of "<base>/data/axb" matches the pattern "<base>/data/a.b " ('.' is any character), so pot takes
      // the directory for one already used.
      await pot.mountIn(name, { dir: join(base, "data", "axb"), mountPoint: "/two" });
      const error = await potRejection(pot.mountIn(name, { dir: join(base, "data", "a.b"), mountPoint: "/three" }), "invalid-argument");
      expect(error.potErrors).toEqual([`Directory ${join(base, "data", "a.b")} not valid, already used or already part of the pot`]);
      // The same mount point twice is accepted; the later mount wins.
      await pot.mountIn(name, { dir: join(base, "second"), mountPoint: "/one" });
      expect(readlinkSync(join(sim.jailRoot(name), "one"))).toBe(join(base, "second"));
      expect(
        readFileSync(join(sim.root, "jails", name, "conf", "fscomp.conf"), "utf8")
          .split("\n")
          .filter((l) => l.endsWith(" /one")),
      ).toHaveLength(2);
    });
  });

  describe("knobs", () => {
    afterAll(() => sim.setKnobs(null));

    it("fail: exit code and message, limited to `times`, then the verb works", async () => {
      const name = await prepare();
      sim.setKnobs({ "set-attr": { action: "fail", exitCode: 3, message: "injected set-attr failure", times: 2 } });
      for (let i = 0; i < 2; i++) {
        const error = await potRejection(pot.setAttr(name, "stop_timeout", 5), "failed");
        expect(error.exitCode).toBe(3);
        expect(error.potErrors).toEqual(["injected set-attr failure"]);
      }
      await pot.setAttr(name, "stop_timeout", 5);
      expect((await pot.info(name)).jailAttributes.stop_timeout).toBe("5");
    });

    it("exit: a given status without doing anything; only for the named pot", async () => {
      const a = await prepare();
      const b = await prepare();
      sim.setKnobs({ "last-run-stats": { action: "exit", exitCode: 0, stdout: '{ "ExitCode": 42 }\n', pot: a } });
      expect(await pot.lastRunStats(a)).toEqual({ kind: "recorded", exitCode: 42 });
      expect(await pot.lastRunStats(b)).toEqual({ kind: "empty" });
      sim.setKnobs({ start: { action: "exit", exitCode: 125 } });
      expect((await startPot(a).exited).exitCode).toBe(125);
      expect(status(a)).toBeNull();
    });

    it("hang: the verb sleeps until the caller's deadline kills it", async () => {
      sim.setKnobs({ ls: { action: "hang" } });
      const error = await potRejection(pot.list({ timeoutMs: 300 }), "timed-out");
      expect(error.exitCode).toBeNull();
      sim.setKnobs(null);
      expect(await pot.list()).toContain("sim-img_2_1");
    });

    it("knobs from POT_SIM_KNOBS apply too; the file wins for the same verb", async () => {
      const envKnobs = JSON.stringify({ version: { action: "fail", message: "from env" }, ls: { action: "fail", message: "ls from env" } });
      const withEnvKnobs = new PotCli(sim.potPath, runner, { env: { ...sim.env, POT_SIM_KNOBS: envKnobs }, logger: silentLogger() });
      sim.setKnobs({ ls: { action: "exit", exitCode: 0, stdout: "only-this\n" } });
      expect((await potRejection(withEnvKnobs.version(), "failed")).potErrors).toEqual(["from env"]);
      expect(await withEnvKnobs.list()).toEqual(["only-this"]);
    });

    it("ignoring: prepare exits 0 with pot's ignoring messages and the steps not done", async () => {
      sim.setKnobs({ prepare: { action: "ignoring", steps: ["persistent", "export-ports"] } });
      serial++;
      const result = await pot.prepare({
        imageUrl: sim.imageUrl,
        imageName: "sim-img",
        tag: "2.1",
        allocId: `ign${serial}`,
        ports: [{ potPort: 80, hostPort: 30080 }],
        networkType: "public-bridge",
      });
      expect(result.warnings).toEqual([
        "Couldn't disable the persistent attribute - ignoring",
        "Couldn't export ports 80:30080 - ignoring",
      ]);
      const info = await pot.info(result.potName, { verbose: true });
      expect(info.attributes.persistent).toBe("YES");
      expect(info.attributes["no-rc-script"]).toBe("YES");
      expect(info.exportedPorts).toEqual([]);
    });

    it("a prepare that hangs holds the global lock; the next prepare waits for it", async () => {
      sim.setKnobs({ prepare: { action: "hang", times: 1 } });
      const hung = Bun.spawn([sim.potPath, "prepare", "-U", sim.imageUrl, "-p", "sim-img", "-t", "2.1", "-a", "hung"], {
        env: { ...process.env, ...sim.env },
        stdout: "ignore",
        stderr: "ignore",
      });
      await waitFor("the first prepare to hold the lock", () => holdsFlock(hung.pid, join(sim.root, "tmp", "pot-lock-file")));
      const waiting = pot.prepare({ imageUrl: sim.imageUrl, imageName: "sim-img", tag: "2.1", allocId: "waiting" });
      await waitFor("the second prepare to block on the lock", () => flockWaiterExists());
      hung.kill("SIGKILL");
      await hung.exited;
      const result = await waiting;
      expect(result.potName).toBe("sim-img_2_1_waiting");
      expect(await pot.exists("sim-img_2_1_hung")).toBe(false);
    });
  });

  describe("getopts", () => {
    test.each([
      [["-qr", "-p", "x"], "qrp:", [["q"], ["r"], ["p", "x"]], []],
      [["-px", "rest"], "p:", [["p", "x"]], ["rest"]],
      [["-Fp", "name", "--", "-c"], "Fp:", [["F"], ["p", "name"]], ["-c"]],
      [["name", "-v"], "v", [], ["name", "-v"]],
      [["-k"], "v", [["?", "illegal"]], []],
      [["-p"], "p:", [["?", "missing-argument"]], []],
      [["-"], "v", [], ["-"]],
    ])("%j with %s", (args, optstring, expected, operands) => {
      const result = getopts(args as string[], optstring as string);
      const simplified = result.options.map((o) =>
        "problem" in o ? ["?", o.problem] : o.value === undefined ? [o.name] : [o.name, o.value],
      );
      expect(simplified).toEqual(expected as string[][]);
      expect(result.operands).toEqual(operands as string[]);
    });
  });
});
