// scripts/test-plan.sh: POT_PATH is the one switch between the simulator and real pot, and with real pot (or off
// Linux) bun runs every test file except the simulator-only suites. `uname` is stubbed to play FreeBSD.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO_ROOT = resolve(import.meta.dir, "../../..");
let stubs: string;

beforeAll(() => {
  stubs = mkdtempSync(join(tmpdir(), "test-plan-"));
  writeFileSync(join(stubs, "uname"), "#!/bin/sh\necho FreeBSD\n");
  chmodSync(join(stubs, "uname"), 0o755);
});

afterAll(() => {
  rmSync(stubs, { recursive: true, force: true });
});

function plan(env: Record<string, string>, freebsd = false): { reason: string; files: string[] } {
  const proc = Bun.spawnSync(
    ["bash", "-c", 'source scripts/test-plan.sh; default_pot_path; r=$(simulator_only_reason); echo "reason=$r"; bun_test_files "$r"'],
    {
      cwd: REPO_ROOT,
      env: { PATH: freebsd ? `${stubs}:${process.env.PATH}` : (process.env.PATH ?? "/usr/bin:/bin"), ...env },
      stdout: "pipe",
    },
  );
  const lines = proc.stdout
    .toString()
    .split("\n")
    .filter((l) => l !== "");
  return { reason: (lines[0] ?? "").slice("reason=".length), files: lines.slice(1) };
}

describe("scripts/test-plan.sh", () => {
  test.skipIf(process.platform !== "linux")("Linux without POT_PATH: the simulator, every file (bun's own discovery)", () => {
    expect(plan({})).toEqual({ reason: "", files: [] });
  });

  test("POT_PATH set: real pot, every test file but the simulator-only suites", () => {
    const { reason, files } = plan({ POT_PATH: "/usr/local/bin/pot" });
    expect(reason).toBe("real pot is under test (POT_PATH=/usr/local/bin/pot)");
    expect(files).toContain("./test/integration/lifecycle.test.ts");
    expect(files).toContain("./test/integration/faults/faults.test.ts");
    expect(files).toContain("./test/integration/load/load.test.ts");
    expect(files).toContain("./test/contract/real-pot.test.ts");
    expect(files).toContain("./test/unit/support/host.test.ts");
    for (const simulatorOnly of [
      "sim-pot.test.ts",
      "hostile/",
      "cli/doctor.test.ts",
      "cli/orphans.test.ts",
      "cli/selftest.test.ts",
      "integration/settings.test.ts",
    ]) {
      expect(files.filter((f) => f.includes(simulatorOnly))).toEqual([]);
    }
    expect(files.every((f) => f.startsWith("./test/") && f.endsWith(".test.ts"))).toBe(true);
  });

  test("FreeBSD without pot installed: the simulator-only suites are skipped with the reason", () => {
    // /usr/local/bin/pot does not exist here, so POT_PATH stays unset.
    const { reason, files } = plan({}, true);
    expect(reason).toBe("the pot simulator needs Linux /proc; set POT_PATH to real pot");
    expect(files.some((f) => f.includes("hostile/"))).toBe(false);
    expect(files.length).toBeGreaterThan(20);
  });
});
