// Unit tests for src/supervisor/bundle.ts: id derivation, atomic create/write/delete, listing and leftovers.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BUNDLE_VERSION,
  bundleDirFor,
  bundleIdFor,
  bundlePath,
  createBundle,
  listBundles,
  parsePidRecord,
  parseSpec,
  readPidRecord,
  readSpec,
  removeBundle,
  writeFileAtomic,
  type BundleSpec,
} from "../../../src/supervisor/bundle.ts";
import { SupervisorError } from "../../../src/supervisor/errors.ts";

let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "bundle-unit-"));
});
afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

function spec(taskId: string): BundleSpec {
  return {
    version: BUNDLE_VERSION,
    taskId,
    argv: ["pot", "start", "-p", "web_3f2a1b0c_0b6c4f5e"],
    stdoutPath: "/alloc/logs/.web.stdout.fifo",
    stderrPath: "/alloc/logs/.web.stderr.fifo",
    createdAt: "2026-12-01T10:00:00.000Z",
    launchToken: "6b1f3c9e-0d7a-4c52-8f41-2a9e5d3b7c10",
  };
}

describe("bundleIdFor", () => {
  const NOMAD_TASK_ID = "0b6c4f5e-1d2a-4b8e-9f00-123456789abc/web/3f2a1b0c";

  test("is deterministic and keeps a readable prefix", () => {
    expect(bundleIdFor(NOMAD_TASK_ID)).toBe(bundleIdFor(NOMAD_TASK_ID));
    expect(bundleIdFor(NOMAD_TASK_ID)).toMatch(/^0b6c4f5e-1d2a-4b8e-9f00-123456789abc_web_3f2a1b0c-[0-9a-f]{16}$/);
  });

  test("ids that sanitise alike still differ", () => {
    expect(bundleIdFor("a/b")).not.toBe(bundleIdFor("a_b"));
    expect(bundleIdFor("a/b")).not.toBe(bundleIdFor("a:b"));
  });

  const table: [string, RegExp][] = [
    ["", /^[0-9a-f]{16}$/],
    ["..", /^__-[0-9a-f]{16}$/],
    ["../../etc", /^___\.\._etc-[0-9a-f]{16}$/],
    [".hidden/x", /^_hidden_x-[0-9a-f]{16}$/],
    ["sp ace\nnl\u00e9", /^sp_ace_nl_-[0-9a-f]{16}$/],
    ["x".repeat(300), new RegExp(`^${"x".repeat(64)}-[0-9a-f]{16}$`)],
  ];
  for (const [taskId, shape] of table) {
    test(`${JSON.stringify(taskId.slice(0, 20))} is a safe, visible file name`, () => {
      const id = bundleIdFor(taskId);
      expect(id).toMatch(shape);
      expect(id.startsWith(".")).toBe(false);
      expect(id).not.toContain("/");
      expect(id.length).toBeLessThanOrEqual(81);
    });
  }

  test("the bundle dir is <stateDir>/tasks/<bundleId>", () => {
    expect(bundleDirFor("/var/db/pot-driver", "a/b/c")).toBe(`/var/db/pot-driver/tasks/${bundleIdFor("a/b/c")}`);
  });
});

describe("writeFileAtomic", () => {
  test("replaces the whole content and leaves no temp file", async () => {
    const path = join(stateDir, "file.json");
    await writeFileAtomic(path, "old\n");
    await writeFileAtomic(path, "new\n");
    expect(readFileSync(path, "utf8")).toBe("new\n");
    expect(readdirSync(stateDir)).toEqual(["file.json"]);
  });

  test("a failed write leaves the previous content and no temp file", async () => {
    const path = join(stateDir, "dir-in-the-way");
    mkdirSync(path);
    writeFileSync(join(path, "x"), "");
    await expect(writeFileAtomic(path, "data")).rejects.toThrow();
    expect(readdirSync(stateDir)).toEqual(["dir-in-the-way"]);
  });
});

describe("createBundle", () => {
  test("writes spec.json and the script into a new, visible bundle dir", async () => {
    const bundleDir = await createBundle(stateDir, spec("a/b/c"), "# script\n");
    expect(bundleDir).toBe(bundleDirFor(stateDir, "a/b/c"));
    expect(readdirSync(bundleDir).sort()).toEqual(["spec.json", "supervise.sh"]);
    expect(await readSpec(bundleDir)).toEqual(spec("a/b/c"));
    expect(readFileSync(bundlePath(bundleDir, "script"), "utf8")).toBe("# script\n");
    expect(readdirSync(join(stateDir, "tasks"))).toEqual([bundleIdFor("a/b/c")]);
  });

  test("refuses an existing bundle and leaves it untouched", async () => {
    const bundleDir = await createBundle(stateDir, spec("a/b/c"), "# first\n");
    const error = await createBundle(stateDir, spec("a/b/c"), "# second\n").catch((err: unknown) => err);
    expect(error instanceof SupervisorError && error.kind).toBe("already-exists");
    expect(readFileSync(bundlePath(bundleDir, "script"), "utf8")).toBe("# first\n");
    expect(readdirSync(join(stateDir, "tasks"))).toHaveLength(1);
  });
});

describe("readSpec / parseSpec", () => {
  test("a missing bundle is not-found", async () => {
    const error = await readSpec(join(stateDir, "tasks", "nope")).catch((err: unknown) => err);
    expect(error instanceof SupervisorError && error.kind).toBe("not-found");
  });

  const bad: [string, string, string][] = [
    ["not JSON", "{", "not JSON"],
    ["newer version", JSON.stringify({ ...spec("x"), version: 2 }), "unsupported version"],
    ["empty argv", JSON.stringify({ ...spec("x"), argv: [] }), "no argv"],
    ["argv of numbers", JSON.stringify({ ...spec("x"), argv: [1] }), "no argv"],
    ["no token", JSON.stringify({ ...spec("x"), launchToken: undefined }), "launchToken"],
  ];
  for (const [name, text, problem] of bad) {
    test(`${name} is refused`, async () => {
      expect(parseSpec(text)).toContain(problem);
      const dir = join(stateDir, "tasks", "bad");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "spec.json"), text);
      const error = await readSpec(dir).catch((err: unknown) => err);
      expect(error instanceof SupervisorError && error.kind).toBe("corrupt");
    });
  }
});

describe("pid records", () => {
  const table: [string, { pid: number; launchToken: string } | undefined][] = [
    ["4100 6b1f3c9e\n", { pid: 4100, launchToken: "6b1f3c9e" }],
    // Without its newline the record is still being written (the token may be cut short).
    ["4100 6b1f3c9e", undefined],
    ["4100 6b1f", undefined],
    ["", undefined],
    ["4100\n", undefined],
    ["1 tok\n", undefined],
    ["0 tok\n", undefined],
    ["-5 tok\n", undefined],
    ["4100 tok extra\n", undefined],
    ["99999999999999999999 tok\n", undefined],
  ];
  for (const [text, expected] of table) {
    test(JSON.stringify(text), () => expect(parsePidRecord(text)).toEqual(expected));
  }

  test("an absent pid file reads as undefined", async () => {
    expect(await readPidRecord(join(stateDir, "nowhere"))).toBeUndefined();
  });
});

describe("removeBundle / listBundles", () => {
  test("listing skips hidden entries and files, sorted by id", async () => {
    const b = await createBundle(stateDir, spec("b"), "");
    const a = await createBundle(stateDir, spec("a"), "");
    const tasks = join(stateDir, "tasks");
    mkdirSync(join(tasks, ".deleting-old-123"));
    mkdirSync(join(tasks, ".staging-new-456"));
    writeFileSync(join(tasks, "stray-file"), "");
    expect(await listBundles(stateDir)).toEqual([
      { bundleId: bundleIdFor("a"), bundleDir: a },
      { bundleId: bundleIdFor("b"), bundleDir: b },
    ]);
  });

  test("a state dir without bundles lists nothing", async () => {
    expect(await listBundles(join(stateDir, "never-created"))).toEqual([]);
  });

  test("remove hides the bundle first, removes it, and is idempotent", async () => {
    const bundleDir = await createBundle(stateDir, spec("a/b/c"), "");
    writeFileSync(bundlePath(bundleDir, "log"), "lines\n");
    await removeBundle(bundleDir);
    expect(existsSync(bundleDir)).toBe(false);
    expect(readdirSync(join(stateDir, "tasks"))).toEqual([]);
    await removeBundle(bundleDir);
    await removeBundle(join(stateDir, "tasks", "never-existed"));
  });
});
