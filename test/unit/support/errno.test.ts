import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errnoOf, isErrno } from "../../../src/support/errno.ts";

describe("errnoOf", () => {
  test("reads the errno name a failed file-system call carries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "errno-"));
    try {
      const err = await readFile(join(dir, "absent")).catch((e: unknown) => e);
      expect(errnoOf(err)).toBe("ENOENT");
      expect(isErrno(err, "EEXIST", "ENOENT")).toBe(true);
      expect(isErrno(err, "EEXIST")).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("finds the name on a cause when a layer wrapped the error", () => {
    const spawnFailure = Object.assign(new Error("spawn failed"), { code: "E2BIG" });
    const wrapped = new Error("pot start failed", { cause: new Error("runner failed", { cause: spawnFailure }) });
    expect(errnoOf(wrapped)).toBe("E2BIG");
    expect(isErrno(wrapped, "E2BIG")).toBe(true);
  });

  test("the outermost name wins; isErrno matches a name at any depth", () => {
    const inner = Object.assign(new Error("inner"), { code: "ENOENT" });
    const outer = Object.assign(new Error("outer", { cause: inner }), { code: "EACCES" });
    expect(errnoOf(outer)).toBe("EACCES");
    expect(isErrno(outer, "ENOENT")).toBe(true);
  });

  test("gRPC's numeric codes, Node's ERR_ codes and non-errors are not errno names", () => {
    expect(errnoOf(Object.assign(new Error("grpc"), { code: 14 }))).toBeUndefined();
    const typeError = Object.assign(new TypeError("bad argument"), { code: "ERR_INVALID_ARG_TYPE" });
    expect(
      errnoOf(new Error("wrapped", { cause: Object.assign(typeError, { cause: Object.assign(new Error("x"), { code: "EPIPE" }) }) })),
    ).toBe("EPIPE");
    expect(errnoOf("ENOENT")).toBeUndefined();
    expect(errnoOf(undefined)).toBeUndefined();
    expect(isErrno(null, "ENOENT")).toBe(false);
  });

  test("a cause chain that loops ends the search", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errnoOf(a)).toBeUndefined();
  });
});
