// Tests for src/plugin/msgpack.ts: golden go-cty fixtures, hand-written byte cases and garbage input.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CtyDecodeError, type CtyValue, decodeCtyMsgpack } from "../../../src/plugin/msgpack.ts";

const FIXTURES = join(import.meta.dir, "../../fixtures/msgpack");

type Expectation = { description: string } & ({ value: unknown } | { error: { kind: string; path: string } });

/** Turns the fixture JSON's tagged forms back into the values the decoder yields. */
function revive(value: unknown): CtyValue {
  if (value === null || typeof value !== "object") return value as CtyValue;
  if (Array.isArray(value)) return value.map(revive);
  const tagged = value as Record<string, unknown>;
  if (typeof tagged.$bigint === "string") return BigInt(tagged.$bigint);
  if (tagged.$number === "+Inf") return Number.POSITIVE_INFINITY;
  if (tagged.$number === "-Inf") return Number.NEGATIVE_INFINITY;
  return Object.fromEntries(Object.entries(tagged).map(([k, v]) => [k, revive(v)]));
}

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
}

const fixtureNames = readdirSync(FIXTURES)
  .filter((file) => file.endsWith(".msgpack"))
  .map((file) => file.slice(0, -".msgpack".length))
  .sort();

describe("go-cty golden fixtures", () => {
  test("the fixture set is present", () => {
    expect(fixtureNames).toContain("task-seed");
    expect(fixtureNames).toContain("numbers");
    expect(fixtureNames).toContain("numbers-cty114");
    expect(fixtureNames.length).toBeGreaterThanOrEqual(19);
  });

  for (const name of fixtureNames) {
    test(name, () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`)));
      const expectation = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as Expectation;
      const result = decodeCtyMsgpack(bytes);
      if ("error" in expectation) {
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.error).toBeInstanceOf(CtyDecodeError);
        expect(result.error.kind).toBe(expectation.error.kind as CtyDecodeError["kind"]);
        expect(result.error.path).toBe(expectation.error.path);
        expect(result.error.message).toContain(expectation.error.path);
      } else {
        if (!result.ok) throw result.error;
        // toStrictEqual tells 5 from 5n, so number/bigint/string choices are checked exactly.
        expect(result.value).toStrictEqual(revive(expectation.value));
      }
    });
  }

  test("numbers keep their exact form", () => {
    const result = decodeCtyMsgpack(new Uint8Array(readFileSync(join(FIXTURES, "numbers.msgpack"))));
    if (!result.ok) throw result.error;
    const numbers = result.value as Record<string, CtyValue>;
    expect(numbers.g_uint64_small).toBe(4294967296);
    expect(numbers.h_max_safe).toBe(Number.MAX_SAFE_INTEGER);
    expect(numbers.i_two_pow_53).toBe(9007199254740992n);
    expect(numbers.j_two_pow_62_1).toBe(4611686018427387905n);
    expect(numbers.r_int64_min).toBe(-9223372036854775808n);
    expect(numbers.s_float).toBe(1.5);
    expect(numbers.u_decimal).toBe("0.1");
    expect(numbers.x_above_uint64).toBe("18446744073709551617");
    expect(numbers.y_pos_infinity).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("hand-written bytes", () => {
  test("docs/protocol.md §6 worked example", () => {
    const bytes = hex(`
      88 a4 61 72 67 73 92 a2 2d 63 a7 73 6c 65 65 70 20 35
      a7 63 6f 6d 6d 61 6e 64 a7 2f 62 69 6e 2f 73 68
      a5 64 65 62 75 67 c2
      a6 6c 61 62 65 6c 73 91 81 a4 74 65 61 6d a1 61
      a4 70 6f 72 74 cd 1f 90
      a5 72 61 74 69 6f a3 30 2e 31
      a5 73 63 61 6c 65 cb 3f f8 00 00 00 00 00 00
      a9 75 73 65 72 5f 6f 70 74 73 c0`);
    expect(decodeCtyMsgpack(bytes)).toStrictEqual({
      ok: true,
      value: {
        args: ["-c", "sleep 5"],
        command: "/bin/sh",
        debug: false,
        labels: [{ team: "a" }],
        port: 8080,
        ratio: "0.1",
        scale: 1.5,
        user_opts: null,
      },
    });
  });

  test("empty input is no config at all", () => {
    expect(decodeCtyMsgpack(new Uint8Array(0))).toStrictEqual({ ok: true, value: null });
  });

  test("a refined unknown (ext 0x0c) names its path", () => {
    // {"command": ext8(type 0x0c, {1: false})}: go-cty ≥1.13's unknown string known not to be null.
    const result = decodeCtyMsgpack(hex("81 a7 636f6d6d616e64 c7 03 0c 81 01 c2"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("unknown");
    expect(result.error.path).toBe("config.command");
    expect(result.error.message).toContain("0x0c");
  });

  test("the path root is configurable", () => {
    const result = decodeCtyMsgpack(hex("91 d4 00 00"), { root: "driver_config" });
    expect(!result.ok && result.error.path).toBe("driver_config[0]");
  });

  test("odd map keys are quoted in paths", () => {
    const result = decodeCtyMsgpack(hex("81 a5 6120622e63 d4 00 00"));
    expect(!result.ok && result.error.path).toBe('config["a b.c"]');
  });

  const unexpected: [string, string, string][] = [
    ["another extension type", "81 a1 78 d4 05 00", "config.x"],
    ["binary data outside a dynamic wrapper", "81 a1 78 c4 02 6869", "config.x"],
    ["binary data as a one-element array", "91 c4 01 22", "config[0]"],
    ["a dynamic wrapper whose type is not JSON", "92 c4 02 7b7b 05", "config"],
    ["a dynamic wrapper whose type is JSON but not a type", "92 c4 01 35 05", "config"],
  ];
  for (const [what, bytes, path] of unexpected) {
    test(`rejects ${what}`, () => {
      const result = decodeCtyMsgpack(hex(bytes));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.kind).toBe("unexpected");
      expect(result.error.path).toBe(path);
    });
  }

  const malformed: [string, string][] = [
    ["trailing bytes", "c0 c0"],
    ["a truncated string", "a5 6162"],
    ["a never-used type byte", "c1"],
    ["a number as map key", "81 01 a1 78"],
    ["nil as map key", "81 c0 c0"],
    ["the key __proto__", "81 a9 5f5f70726f746f5f5f 81 a1 78 c3"],
    ["an array header announcing 2^32-1 elements", "dd ffffffff"],
    ["a map header announcing 2^32-1 entries", "df ffffffff"],
    ["a str32 header announcing 4 GiB", "db ffffffff 41"],
    ["a bin32 header announcing 4 GiB", "c6 ffffffff 41"],
    ["an ext32 header announcing 4 GiB", "c9 ffffffff 00"],
  ];
  for (const [what, bytes] of malformed) {
    test(`reports ${what} as malformed`, () => {
      const result = decodeCtyMsgpack(hex(bytes));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(CtyDecodeError);
      expect(result.error.kind).toBe("malformed");
      expect(result.error.path).toBe("config");
    });
  }

  test("__proto__ never reaches a prototype", () => {
    decodeCtyMsgpack(hex("81 a9 5f5f70726f746f5f5f 81 a8 706f6c6c75746564 c3"));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("deep nesting is refused, not a stack overflow", () => {
    const bytes = new Uint8Array(100_001).fill(0x91);
    bytes[100_000] = 0xc0;
    const result = decodeCtyMsgpack(bytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("unexpected");
    expect(result.error.message).toContain("nested deeper");
  });
});

describe("garbage never throws", () => {
  /** xorshift32: the same "random" bytes on every run. */
  function generator(seed: number): () => number {
    let state = seed;
    return () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x1_0000_0000;
    };
  }

  test("every prefix of every fixture", () => {
    for (const name of fixtureNames) {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`)));
      const step = Math.max(1, Math.floor(bytes.length / 400));
      for (let length = 1; length < bytes.length; length += step) {
        const result = decodeCtyMsgpack(bytes.subarray(0, length));
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toBeInstanceOf(CtyDecodeError);
      }
    }
  });

  test("random bytes and single-byte corruptions of the seed fixture", () => {
    const random = generator(0x2545f491);
    const seed = new Uint8Array(readFileSync(join(FIXTURES, "task-seed.msgpack")));
    for (let round = 0; round < 3000; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = new Uint8Array(Math.floor(random() * 64));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      } else {
        bytes = seed.slice();
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const result = decodeCtyMsgpack(bytes);
      if (!result.ok) expect(result.error).toBeInstanceOf(CtyDecodeError);
    }
  });
});
