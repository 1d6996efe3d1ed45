// Tests for test/support/host.ts: both branches of every probe. FreeBSD outputs are fixtures written from the
// formats FreeBSD's man pages document (named *.manpage-format.txt); the FreeBSD probes run here against stub
// procstat/ps/mount commands that print those fixtures and record their argv. The Linux probes run on this host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  advlockHeldOn,
  argsOf,
  commandOf,
  cwdFromProcstat,
  cwdOf,
  fdCount,
  flockWaiterExists,
  holdsFlock,
  hostOs,
  isLiveProcess,
  mountsUnder,
  openFdsFromProcstat,
  parseMountTable,
  parseProcstatFiles,
  parseProcstatLines,
  parsePsRss,
  parsePsTable,
  parseVmRss,
  processes,
  procLocksHaveWaiter,
  procLocksHeldBy,
  rssKb,
  zombieChildren,
} from "../../support/host.ts";
import { type StubCommands, stubCommands } from "../../support/stub-commands.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

describe("hostOs", () => {
  test("FreeBSD gets the FreeBSD branch, everything else the Linux one", () => {
    expect(hostOs("freebsd")).toBe("freebsd");
    expect(hostOs("linux")).toBe("linux");
    expect(hostOs("darwin")).toBe("linux");
  });
});

describe("FreeBSD parsers (procstat(1), mount(8) -p, ps(1) formats)", () => {
  test("procstat -f: numbered descriptors are the open fds; cwd keeps spaces in its path", () => {
    const text = fixture("freebsd-procstat-f.manpage-format.txt");
    const rows = parseProcstatFiles(text);
    expect(rows.map((r) => r.fd)).toEqual(["text", "cwd", "root", "0", "1", "2", "3", "4", "12"]);
    expect(rows.find((r) => r.fd === "3")?.name).toBe("127.0.0.1:10001 0.0.0.0:0");
    expect(openFdsFromProcstat(text)).toBe(6);
    expect(cwdFromProcstat(text)).toBe("/var/db/pot task-driver");
    expect(cwdFromProcstat(" 1 x text v r r------- - - - /bin/x\n")).toBeUndefined();
  });

  test("procstat -c -a / -e -a: one line per pid, the rest of the line verbatim", () => {
    const args = parseProcstatLines(fixture("freebsd-procstat-c-a.manpage-format.txt"));
    expect(args.get(4300)).toBe("/bin/sh /tmp/pot-e2e.Ab12/state/tasks/t1/supervise.sh id1 /tmp/pot-e2e.Ab12/state/tasks/t1");
    expect(args.get(4301)).toBe("nginx: master process /usr/local/sbin/nginx -g daemon off;");
    expect(args.get(17)).toBe("");
    const envs = parseProcstatLines(fixture("freebsd-procstat-e-a.manpage-format.txt"));
    expect(envs.get(4300)).toContain("POT_E2E_RUN=pot-e2e.Ab12");
    expect(envs.has(1)).toBe(true);
  });

  test("mount -p: the second column, octal escapes decoded", () => {
    expect(parseMountTable(fixture("freebsd-mount-p.manpage-format.txt"))).toEqual([
      "/",
      "/dev",
      "/opt/pot/jails/web/m/root/test",
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/secrets",
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/mnt two",
      "/tmp/pot-e2e.Ab12x/other",
    ]);
  });

  test("ps pid/ppid/stat and rss", () => {
    const rows = parsePsTable(fixture("freebsd-ps-pid-ppid-stat.manpage-format.txt"));
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.ppid === 4242 && r.stat.startsWith("Z")).map((r) => r.pid)).toEqual([4301]);
    expect(parsePsRss(" 51234\n")).toBe(51234);
    expect(parsePsRss("")).toBeUndefined();
  });

  test("procstat advlock: a write FLOCK on the path", () => {
    const text = fixture("freebsd-procstat-advlock.manpage-format.txt");
    expect(advlockHeldOn(text, "/tmp/pot-lock-file")).toBe(true);
    expect(advlockHeldOn(text, "/var/run/other.lock")).toBe(false);
    expect(advlockHeldOn(text, "/tmp/pot-lock")).toBe(false);
  });
});

describe("Linux parsers (proc(5) formats)", () => {
  test("/proc/mounts and /proc/<pid>/status", () => {
    expect(parseMountTable(fixture("linux-proc-mounts.txt"))).toContain("/tmp/pot-e2e.Ab12/data/alloc/a1/web/mnt two");
    expect(parseVmRss("Name:\tbun\nVmRSS:\t   48120 kB\n")).toBe(48120);
    expect(parseVmRss("Name:\tkthreadd\n")).toBeUndefined();
  });

  test("/proc/locks: the holder by pid, a waiter by its arrow", () => {
    const text = fixture("linux-proc-locks.txt");
    expect(procLocksHeldBy(text, 4300)).toBe(true);
    expect(procLocksHeldBy(text, 4310)).toBe(false);
    expect(procLocksHeldBy(text, 4400)).toBe(false);
    expect(procLocksHaveWaiter(text)).toBe(true);
    expect(procLocksHaveWaiter("1: FLOCK  ADVISORY  WRITE 4300 00:1f:1234 0 EOF\n")).toBe(false);
  });
});

describe("FreeBSD probes against stub commands", () => {
  let commands: StubCommands;
  let calls: string;
  const savedPath = process.env.PATH;

  beforeAll(() => {
    commands = stubCommands("host-stubs");
    calls = commands.callsFile;
    const stub = commands.add;
    stub(
      "procstat",
      `case "$*" in
  "-h -c -a") cat "${FIXTURES}/freebsd-procstat-c-a.manpage-format.txt" ;;
  "-h -e -a") cat "${FIXTURES}/freebsd-procstat-e-a.manpage-format.txt" ;;
  "-h -c 4300") grep '^ 4300 ' "${FIXTURES}/freebsd-procstat-c-a.manpage-format.txt" ;;
  "-h -f 4242") cat "${FIXTURES}/freebsd-procstat-f.manpage-format.txt" ;;
  "advlock") cat "${FIXTURES}/freebsd-procstat-advlock.manpage-format.txt" ;;
  *) exit 1 ;;
esac`,
    );
    stub(
      "ps",
      `case "$*" in
  "-A -o pid= -o ppid= -o stat=") cat "${FIXTURES}/freebsd-ps-pid-ppid-stat.manpage-format.txt" ;;
  "-o rss= -p 4242") echo " 51234" ;;
  "-o stat= -p 4242") echo "Ss" ;;
  "-o stat= -p 4301") echo "Z" ;;
  "-A -o wchan=") printf -- '-\\nselect\\nlockf\\n' ;;
  *) exit 1 ;;
esac`,
    );
    stub("mount", `[ "$*" = "-p" ] && cat "${FIXTURES}/freebsd-mount-p.manpage-format.txt"`);
    process.env.PATH = `${commands.dir}:${savedPath ?? "/usr/bin:/bin"}`;
  });

  afterAll(() => {
    process.env.PATH = savedPath;
    commands.remove();
  });

  test("processes, argv, cwd, fds, rss, zombies, liveness, mounts and locks read the documented commands", () => {
    const found = processes("freebsd");
    expect(found.map((p) => p.pid)).toEqual([1, 4242, 4300, 4301]);
    expect(found.find((p) => p.pid === 4300)?.environ).toContain("POT_E2E_RUN=pot-e2e.Ab12");
    expect(argsOf(4300, "freebsd")).toContain("supervise.sh");
    expect(commandOf(4300, "freebsd")).toBe("/bin/sh");
    expect(cwdOf(4242, "freebsd")).toBe("/var/db/pot task-driver");
    expect(fdCount(4242, "freebsd")).toBe(6);
    expect(() => fdCount(9999, "freebsd")).toThrow("procstat -f 9999 failed");
    expect(rssKb(4242, "freebsd")).toBe(51234);
    expect(zombieChildren(4242, "freebsd")).toEqual([4301]);
    expect(isLiveProcess(4242, "freebsd")).toBe(true);
    expect(isLiveProcess(4301, "freebsd")).toBe(false);
    expect(isLiveProcess(9999, "freebsd")).toBe(false);
    expect(mountsUnder("/tmp/pot-e2e.Ab12", "freebsd")).toEqual([
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/secrets",
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/mnt two",
    ]);
    expect(holdsFlock(4300, "/tmp/pot-lock-file", "freebsd")).toBe(true);
    expect(flockWaiterExists("freebsd")).toBe(true);
    const log = readFileSync(calls, "utf8");
    for (const call of [
      "procstat -h -c -a",
      "procstat -h -e -a",
      "procstat -h -f 4242",
      "ps -o rss= -p 4242",
      "mount -p",
      "procstat advlock",
      "ps -A -o wchan=",
    ]) {
      expect(log).toContain(`${call}\n`);
    }
  });
});

describe("Linux probes on this host", () => {
  test.skipIf(process.platform !== "linux")("see this process, its argv, cwd, fds and RSS, and a zombie child", async () => {
    const self = processes("linux").find((p) => p.pid === process.pid);
    expect(self?.args).toContain("test");
    expect(argsOf(process.pid, "linux")).toBe(self?.args);
    expect(cwdOf(process.pid, "linux")).toBe(process.cwd());
    expect(fdCount(process.pid, "linux")).toBeGreaterThan(2);
    expect(rssKb(process.pid, "linux")).toBeGreaterThan(1000);
    expect(isLiveProcess(process.pid, "linux")).toBe(true);
    expect(isLiveProcess(2 ** 22 + 1, "linux")).toBe(false);
    // A child that exits while nobody reaps it is a zombie of its parent (a shell that execs a sleep here).
    const parent = Bun.spawn(["sh", "-c", "true & exec sleep 5"], { stdout: "ignore", stderr: "ignore" });
    try {
      const deadline = Date.now() + 5_000;
      while (zombieChildren(parent.pid, "linux").length === 0 && Date.now() < deadline) await Bun.sleep(20);
      expect(zombieChildren(parent.pid, "linux")).toHaveLength(1);
    } finally {
      parent.kill("SIGKILL");
      await parent.exited;
    }
  });
});
