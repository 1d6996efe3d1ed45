// Fuzzing toolkit: a seeded PRNG, byte mutators for msgpack, random cty-like values, seed inputs, and the
// checks that a decode or validation result has exactly the documented shape.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CtyDecodeError, type CtyDecodeResult } from "../../../src/plugin/msgpack.ts";
import { PLUGIN_CONFIG_KEYS, TASK_CONFIG_KEYS } from "../../support/config-keys.ts";

/** Seconds each fuzz loop runs; FUZZ_SECONDS lengthens (or shortens) every loop. */
export function fuzzSeconds(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/** The seed for a run: FUZZ_SEED when given (to replay a failure), else a fresh one. */
export function fuzzSeed(): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv >>> 0;
  return Math.floor(Math.random() * 0xffffffff) >>> 0 || 1;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Seeds

const MSGPACK_FIXTURES = join(import.meta.dir, "../../fixtures/msgpack");

/** The go-cty golden encodings of test/fixtures/msgpack: real Nomad-shaped input to mutate. */
export function goldenMsgpackSeeds(): Uint8Array[] {
  return readdirSync(MSGPACK_FIXTURES)
    .filter((f) => f.endsWith(".msgpack"))
    .sort()
    .map((f) => Uint8Array.from(readFileSync(join(MSGPACK_FIXTURES, f))));
}

// ---------------------------------------------------------------------------------------------------------
// Byte mutation

/** Type bytes worth planting: nil, bools, every sized header, ext and the reserved 0xc1. */
const INTERESTING_BYTES = [
  0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce,
  0xcf, 0xd0, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff,
];

/** Header bytes followed by a big-endian length field of the given size. */
const LENGTH_FIELDS: ReadonlyMap<number, number> = new Map([
  [0xc4, 1],
  [0xc5, 2],
  [0xc6, 4],
  [0xc7, 1],
  [0xc8, 2],
  [0xc9, 4],
  [0xd9, 1],
  [0xda, 2],
  [0xdb, 4],
  [0xdc, 2],
  [0xdd, 4],
  [0xde, 2],
  [0xdf, 4],
]);

export type MutationKind =
  | "bit-flip"
  | "byte-set"
  | "interesting-byte"
  | "truncate"
  | "append"
  | "delete-range"
  | "duplicate-range"
  | "length-field"
  | "fix-header"
  | "splice";

const KINDS: MutationKind[] = [
  "bit-flip",
  "byte-set",
  "interesting-byte",
  "truncate",
  "append",
  "delete-range",
  "duplicate-range",
  "length-field",
  "fix-header",
  "splice",
];

/** One to three random mutations of `input` (never modified in place). */
export function mutate(rng: Prng, input: Uint8Array, others: readonly Uint8Array[]): { bytes: Uint8Array; kinds: MutationKind[] } {
  let bytes: Uint8Array = Uint8Array.from(input);
  const kinds: MutationKind[] = [];
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const kind = rng.pick(KINDS);
    kinds.push(kind);
    bytes = applyMutation(rng, kind, bytes, others);
  }
  return { bytes, kinds };
}

function applyMutation(rng: Prng, kind: MutationKind, bytes: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  const at = bytes.length === 0 ? 0 : rng.int(bytes.length);
  switch (kind) {
    case "bit-flip":
      if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << rng.int(8));
      return bytes;
    case "byte-set":
      if (bytes.length > 0) bytes[at] = rng.int(256);
      return bytes;
    case "interesting-byte":
      if (bytes.length > 0) bytes[at] = rng.pick(INTERESTING_BYTES);
      return bytes;
    case "truncate":
      return bytes.slice(0, rng.int(bytes.length + 1));
    case "append":
      return concat(bytes, rng.bytes(1 + rng.int(16)));
    case "delete-range": {
      const len = 1 + rng.int(8);
      return concat(bytes.slice(0, at), bytes.slice(at + len));
    }
    case "duplicate-range": {
      const len = 1 + rng.int(16);
      return concat(bytes.slice(0, at + len), bytes.slice(at, at + len), bytes.slice(at + len));
    }
    case "length-field": {
      // Find a sized header and corrupt its length: huge, zero, off by one either way.
      const headers: number[] = [];
      bytes.forEach((b, i) => {
        if (LENGTH_FIELDS.has(b) || (b >= 0x80 && b <= 0xbf)) headers.push(i);
      });
      if (headers.length === 0) return bytes;
      const pos = rng.pick(headers);
      const head = bytes[pos] as number;
      const size = LENGTH_FIELDS.get(head);
      if (size === undefined) {
        // fixmap/fixarray/fixstr: change the embedded count.
        const base = head & (head >= 0xa0 ? 0xe0 : 0xf0);
        const mask = head >= 0xa0 ? 0x1f : 0x0f;
        bytes[pos] = base | (rng.int(mask + 1) & mask);
        return bytes;
      }
      const choice = rng.int(4);
      for (let i = 0; i < size && pos + 1 + i < bytes.length; i++) {
        const idx = pos + 1 + i;
        if (choice === 0) bytes[idx] = 0xff;
        else if (choice === 1) bytes[idx] = 0;
        else if (i === size - 1) bytes[idx] = ((bytes[idx] as number) + (choice === 2 ? 1 : 255)) & 0xff;
      }
      return bytes;
    }
    case "fix-header": {
      // Turn a fixstr/fixmap/fixarray header into another container kind of the same count.
      const candidates: number[] = [];
      bytes.forEach((b, i) => {
        if (b >= 0x80 && b <= 0xbf) candidates.push(i);
      });
      if (candidates.length === 0) return bytes;
      const pos = rng.pick(candidates);
      const head = bytes[pos] as number;
      const count = head >= 0xa0 ? head & 0x1f : head & 0x0f;
      bytes[pos] = rng.pick([0x80, 0x90, 0xa0]) | Math.min(count, 15);
      return bytes;
    }
    case "splice": {
      if (others.length === 0) return bytes;
      const other = rng.pick(others);
      const from = rng.int(other.length + 1);
      const len = rng.int(Math.min(32, other.length - from) + 1);
      return concat(bytes.slice(0, at), other.slice(from, from + len), bytes.slice(at));
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Random bytes, half of the time starting with a map header so the decoder gets past the first byte. */
export function randomBytes(rng: Prng): Uint8Array {
  const body = rng.bytes(rng.int(96));
  if (!rng.chance(0.5)) return body;
  return concat(Uint8Array.of(rng.pick([0x80 | rng.int(16), 0xde, 0xdf, 0x90 | rng.int(16), 0xc0])), body);
}

// ---------------------------------------------------------------------------------------------------------
// Random structured values (what a decoder could hand to validation)

const HOSTILE_STRINGS = [
  "",
  " ",
  "a:b",
  "a:b:c",
  ":",
  "/",
  "/..",
  "../x",
  "/tmp/x:/y",
  "http://127.0.0.1/",
  "file:///tmp/",
  "ftp://x/",
  "host",
  "public-bridge",
  "private-bridge",
  "alias",
  "em0|192.0.2.10",
  "lo0|::1",
  "em0|auto",
  "potbridge",
  "-B",
  "devfs_ruleset:4",
  "exec_stop:true",
  "persistent:no",
  "db:10.0.0.1",
  "db:::1",
  "80",
  "65536",
  "$(id)",
  "`id`",
  "\u0000",
  "\n",
  "\u202e",
  "\ud800",
  "__proto__",
  "constructor",
  "toString",
  "x".repeat(300),
];

/** A random value of the kinds the decoder yields, nested up to `depth`. */
export function randomValue(rng: Prng, depth = 3): unknown {
  const leafKinds = 6;
  const kind = rng.int(depth > 0 ? leafKinds + 3 : leafKinds);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([
        0,
        1,
        -1,
        80,
        65536,
        2 ** 53 - 1,
        -(2 ** 53),
        1.5,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        -0,
      ]);
    case 3:
      return rng.pick([2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 53n + 1n]);
    case 4:
    case 5:
      return rng.chance(0.7) ? rng.pick(HOSTILE_STRINGS) : randomString(rng);
    case 6:
    case 7:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth - 1));
    default: {
      const obj: Record<string, unknown> = {};
      const n = rng.int(4);
      for (let i = 0; i < n; i++) {
        obj[rng.chance(0.5) ? rng.pick([...TASK_CONFIG_KEYS, ...PLUGIN_CONFIG_KEYS]) : randomString(rng)] = randomValue(rng, depth - 1);
      }
      return obj;
    }
  }
}

function randomString(rng: Prng): string {
  let s = "";
  const n = rng.int(24);
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.8) ? String.fromCharCode(0x20 + rng.int(0x5f)) : String.fromCharCode(rng.int(0x10000));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Result shape checks (each returns a problem description, or undefined when the shape is right)

const DECODE_KINDS = new Set(["malformed", "unknown", "unexpected"]);

/** A decoded cty value holds only null, booleans, numbers, bigints, strings, arrays and plain objects. */
export function ctyValueProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 80) return "value nested deeper than the decoder allows";
  if (value === null || ["boolean", "string", "bigint", "number"].includes(typeof value)) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = ctyValueProblem(item, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `object with prototype ${String(proto?.constructor?.name)}`;
    for (const item of Object.values(value as Record<string, unknown>)) {
      const p = ctyValueProblem(item, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  return `unexpected ${typeof value} in a decoded value`;
}

export function decodeResultProblem(result: CtyDecodeResult): string | undefined {
  if (result === null || typeof result !== "object") return "result is not an object";
  if (result.ok === true) return ctyValueProblem(result.value);
  if (result.ok !== false) return "result.ok is neither true nor false";
  const error = result.error;
  if (!(error instanceof CtyDecodeError)) return "error is not a CtyDecodeError";
  if (!DECODE_KINDS.has(error.kind)) return `unknown error kind ${String(error.kind)}`;
  if (typeof error.path !== "string" || !error.path.startsWith("config")) return `error path ${String(error.path)} not rooted at config`;
  if (typeof error.message !== "string" || error.message.length === 0) return "empty error message";
  return undefined;
}

/** Validation answers `{ok: true, config}` or `{ok: false, issues}` with at least one issue, each with a path. */
export function validationResultProblem(result: unknown): string | undefined {
  if (result === null || typeof result !== "object") return "result is not an object";
  const r = result as { ok?: unknown; config?: unknown; issues?: unknown };
  if (r.ok === true) return r.config !== null && typeof r.config === "object" ? undefined : "ok without a config object";
  if (r.ok !== false) return "result.ok is neither true nor false";
  if (!Array.isArray(r.issues) || r.issues.length === 0) return "rejected without issues";
  for (const issue of r.issues as Array<{ path?: unknown; message?: unknown }>) {
    if (typeof issue.path !== "string" || !/^(config|task)\b/.test(issue.path))
      return `issue path ${String(issue.path)} not rooted at config`;
    if (typeof issue.message !== "string" || issue.message.length === 0) return "issue without a message";
  }
  return undefined;
}

/**
 * Runs `call` and returns its result with the CPU time it used in ms. CPU time, not wall time: on a loaded
 * machine the process may wait for a core, which says nothing about the code; a loop or a runaway
 * allocation burns CPU either way.
 */
export function withCpuTime<T>(call: () => T): { value: T; cpuMs: number } {
  const before = process.cpuUsage();
  const value = call();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
