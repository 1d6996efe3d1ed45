// Tests for test/support/host.sh, the shell twin of host.ts used by test/e2e and build-nomad.sh. The FreeBSD branch
// runs against stub procstat/mount/umount/rm/lockf/date commands (printing the man-page-format fixtures and
// recording their argv); the Linux branch runs for real where it can and against a stub umount.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { type StubCommands, stubCommands } from "../../support/stub-commands.ts";

const HOST_SH = resolve(import.meta.dir, "../../support/host.sh");
const FIXTURES = join(import.meta.dir, "fixtures");

let commands: StubCommands;
let stubs: string;
let calls: string;

beforeAll(() => {
  commands = stubCommands("host-sh-stubs");
  stubs = commands.dir;
  calls = commands.callsFile;
  const stub = commands.add;
  stub(
    "procstat",
    `case "$*" in
  "-h -c -a") cat "${FIXTURES}/freebsd-procstat-c-a.manpage-format.txt" ;;
  "-h -e -a") cat "${FIXTURES}/freebsd-procstat-e-a.manpage-format.txt" ;;
  "-h -c 4301") grep '^ 4301 ' "${FIXTURES}/freebsd-procstat-c-a.manpage-format.txt" ;;
  *) exit 1 ;;
esac`,
  );
  stub("mount", `[ "$*" = "-p" ] && cat "${FIXTURES}/freebsd-mount-p.manpage-format.txt"`);
  stub("umount", "exit 0");
  stub("rm", "exit 0");
  // lockf -k FILE COMMAND…: run the command, as lockf(1) does once it holds the lock.
  stub("lockf", 'shift 2; exec "$@"');
  stub("date", 'case "$1" in +%s%N) echo 1700000000N ;; +%s) echo 1700000000 ;; esac');
});

afterAll(() => {
  commands.remove();
});

function sh(os: "FreeBSD" | "Linux", script: string, withStubs = os === "FreeBSD"): { stdout: string; exitCode: number } {
  writeFileSync(calls, "");
  const proc = Bun.spawnSync(["bash", "-c", `source "${HOST_SH}"\n${script}`], {
    env: { PATH: withStubs ? `${stubs}:${process.env.PATH}` : (process.env.PATH ?? "/usr/bin:/bin"), HOST_OS: os },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { stdout: proc.stdout.toString(), exitCode: proc.exitCode ?? -1 };
}

const called = () =>
  readFileSync(calls, "utf8")
    .split("\n")
    .filter((l) => l !== "");

describe("FreeBSD branch", () => {
  test("run pids: the exact marker in the environment (procstat -e -a) or the work dir in argv (procstat -c -a)", () => {
    const run = sh("FreeBSD", "host_pids_matching POT_E2E_RUN=pot-e2e.Ab12 /tmp/pot-e2e.Ab12");
    expect(run.stdout.split("\n").filter((l) => l !== "")).toEqual(["4300"]);
    expect(called()).toEqual(["procstat -h -e -a", "procstat -h -c -a"]);
  });

  test("argv of one pid without its COMM column", () => {
    expect(sh("FreeBSD", "host_args 4301").stdout.trim()).toBe("nginx: master process /usr/local/sbin/nginx -g daemon off;");
  });

  test("mounts below a directory come from mount -p, deepest first; unmount forces; rm stays on one file system", () => {
    const mounts = sh("FreeBSD", "host_mounts_under /tmp/pot-e2e.Ab12");
    expect(mounts.stdout.split("\n").filter((l) => l !== "")).toEqual([
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/secrets",
      "/tmp/pot-e2e.Ab12/data/alloc/a1/web/mnt\\040two",
    ]);
    expect(called()).toEqual(["mount -p"]);
    sh("FreeBSD", "host_unmount /tmp/w/m");
    expect(called()).toEqual(["umount -f /tmp/w/m"]);
    sh("FreeBSD", "host_rm_tree /tmp/w");
    expect(called()).toEqual(["rm -rfx /tmp/w"]);
  });

  test("locking runs the command under lockf -k; time falls back to whole seconds when date has no %N", () => {
    const locked = sh("FreeBSD", "host_locked /tmp/x.lock echo inside");
    expect(locked.stdout).toBe("inside\n");
    expect(called()[0]).toBe("lockf -k /tmp/x.lock echo inside");
    expect(sh("FreeBSD", "host_now_ns").stdout).toBe("1700000000000000000\n");
  });
});

describe("Linux branch", () => {
  test("run pids from /proc: a child carrying the marker is found, the shell itself is not", () => {
    const marker = `POT_E2E_RUN=host-sh-${process.pid}`;
    const run = sh(
      "Linux",
      // The marker is in the child's environment once env(1) has executed sleep: wait for that, up to 10 s.
      `env ${marker} sleep 30 & child=$!
tries=0
until tr '\\0' '\\n' </proc/$child/environ 2>/dev/null | grep -qx '${marker}' || [ $tries -ge 1000 ]; do tries=$((tries + 1)); sleep 0.01; done
host_pids_matching ${marker} /nonexistent-dir
echo "child=$child"
kill $child`,
    );
    const lines = run.stdout.split("\n").filter((l) => l !== "");
    const child = lines.find((l) => l.startsWith("child="))?.slice(6);
    expect(child).toMatch(/^\d+$/);
    expect(lines.filter((l) => !l.startsWith("child="))).toEqual([child as string]);
  });

  test("unmount is lazy (stub umount), rm stays on one file system (real), time has nanoseconds", () => {
    sh("Linux", "host_unmount /tmp/w/m", true);
    expect(called()).toEqual(["umount -l /tmp/w/m"]);
    const dir = mkdtempSync(join(tmpdir(), "host-sh-rm-"));
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    expect(sh("Linux", `host_rm_tree "${dir}"`).exitCode).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(sh("Linux", "host_now_ns").stdout).toMatch(/^\d{19}\n$/);
  });

  test("locking with flock(1) serialises two callers", () => {
    const dir = mkdtempSync(join(tmpdir(), "host-sh-lock-"));
    try {
      const script = `host_locked "${dir}/l" sh -c 'echo in >>"${dir}/log"; sleep 0.3; echo out >>"${dir}/log"' &
host_locked "${dir}/l" sh -c 'echo in >>"${dir}/log"; echo out >>"${dir}/log"' &
wait`;
      expect(sh("Linux", script).exitCode).toBe(0);
      expect(readFileSync(join(dir, "log"), "utf8")).toBe("in\nout\nin\nout\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("file size without GNU stat", () => {
    const dir = mkdtempSync(join(tmpdir(), "host-sh-size-"));
    try {
      writeFileSync(join(dir, "f"), "12345");
      expect(sh("Linux", `host_file_size "${dir}/f"`).stdout).toBe("5\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
