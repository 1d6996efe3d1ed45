// The hostile corpus (test/fixtures/hostile/): loads the fixtures, revives their JSON conventions and encodes
// configs as go-cty msgpack; shared by the hostile integration test and the fuzzers.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const HOSTILE_FIXTURES = join(import.meta.dir, "../../fixtures/hostile");

// ---------------------------------------------------------------------------------------------------------
// Values and their msgpack encoding

/** Bytes spliced into an encoding as they are. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A number always written as float64, whatever its value. */
export class Float64 {
  constructor(readonly value: number) {}
}

export type Encodable = null | boolean | number | bigint | string | Uint8Array | Raw | Float64 | Encodable[] | { [key: string]: Encodable };

/** Encodes as go-cty does: map keys sorted bytewise, compact integers, other numbers float64. */
export function encodeCty(value: Encodable): Uint8Array {
  const out = new ByteSink();
  writeValue(value, out);
  return out.bytes();
}

class ByteSink {
  private buf = new Uint8Array(1024);
  private len = 0;
  push(...bytes: number[]): void {
    this.reserve(bytes.length);
    for (const b of bytes) this.buf[this.len++] = b & 0xff;
  }
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

function be(value: bigint, size: number): number[] {
  const out: number[] = [];
  for (let i = size - 1; i >= 0; i--) out.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return out;
}

function writeInt(n: bigint, out: ByteSink): void {
  if (n >= 0n) {
    if (n < 128n) out.push(Number(n));
    else if (n < 0x100n) out.push(0xcc, Number(n));
    else if (n < 0x10000n) out.push(0xcd, ...be(n, 2));
    else if (n < 0x100000000n) out.push(0xce, ...be(n, 4));
    else if (n < 1n << 64n) out.push(0xcf, ...be(n, 8));
    else throw new RangeError(`${n} does not fit in uint64`);
    return;
  }
  const twos = (bits: number) => BigInt.asUintN(bits, n);
  if (n >= -32n) out.push(Number(twos(8)));
  else if (n >= -128n) out.push(0xd0, Number(twos(8)));
  else if (n >= -32768n) out.push(0xd1, ...be(twos(16), 2));
  else if (n >= -(1n << 31n)) out.push(0xd2, ...be(twos(32), 4));
  else if (n >= -(1n << 63n)) out.push(0xd3, ...be(twos(64), 8));
  else throw new RangeError(`${n} does not fit in int64`);
}

function writeFloat(value: number, out: ByteSink): void {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  out.push(0xcb);
  out.append(new Uint8Array(view.buffer));
}

function writeLength(len: number, fix: number, fixMax: number, codes: [number, number, number], out: ByteSink): void {
  if (len < fixMax && fix >= 0) out.push(fix | len);
  else if (len < 0x100 && codes[0] >= 0) out.push(codes[0], len);
  else if (len < 0x10000) out.push(codes[1], ...be(BigInt(len), 2));
  else out.push(codes[2], ...be(BigInt(len), 4));
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function writeValue(value: Encodable, out: ByteSink): void {
  if (value === null) out.push(0xc0);
  else if (value === true) out.push(0xc3);
  else if (value === false) out.push(0xc2);
  else if (value instanceof Raw) out.append(value.bytes);
  else if (value instanceof Float64) writeFloat(value.value, out);
  else if (typeof value === "bigint") writeInt(value, out);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) writeInt(BigInt(value), out);
    else writeFloat(value, out);
  } else if (typeof value === "string") {
    const bytes = utf8.encode(value);
    writeLength(bytes.length, 0xa0, 32, [0xd9, 0xda, 0xdb], out);
    out.append(bytes);
  } else if (value instanceof Uint8Array) {
    writeLength(value.length, -1, 0, [0xc4, 0xc5, 0xc6], out);
    out.append(value);
  } else if (Array.isArray(value)) {
    writeLength(value.length, 0x90, 16, [-1, 0xdc, 0xdd], out);
    for (const item of value) writeValue(item, out);
  } else {
    const entries = Object.entries(value)
      .map(([key, v]) => [utf8.encode(key), key, v] as const)
      .sort((a, b) => compareBytes(a[0], b[0]));
    writeLength(entries.length, 0x80, 16, [-1, 0xde, 0xdf], out);
    for (const [, key, v] of entries) {
      writeValue(key, out);
      writeValue(v, out);
    }
  }
}

export function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex in fixture: ${text.slice(0, 40)}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

// ---------------------------------------------------------------------------------------------------------
// JSON conventions (README.md "Encoding conventions")

/** Values substituted for `{NAME}` inside fixture strings. */
export type Vars = Record<string, string>;

function substitute(text: string, vars: Vars): string {
  return text.replace(/\{([A-Z_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** Turns a fixture JSON value into an encodable value. */
export function revive(value: unknown, vars: Vars = {}): Encodable {
  if (value === null || typeof value === "boolean" || typeof value === "number") return value;
  if (typeof value === "string") return substitute(value, vars);
  if (Array.isArray(value)) return value.map((v) => revive(v, vars));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0]?.startsWith("$")) {
    const tag = keys[0];
    const arg = obj[tag];
    switch (tag) {
      case "$bigint":
        return BigInt(arg as string);
      case "$number":
        return new Float64(parseFloatTag(arg as string));
      case "$bytes":
        return hexBytes(arg as string);
      case "$raw":
        return new Raw(hexBytes(arg as string));
      case "$repeat": {
        const [text, times] = arg as [string, number];
        return substitute(text, vars).repeat(times);
      }
      case "$concat":
        return (arg as unknown[]).map((part) => revive(part, vars)).join("");
      case "$list": {
        const [item, times] = arg as [unknown, number];
        return Array.from({ length: times }, () => revive(item, vars));
      }
      default:
        throw new Error(`unknown fixture tag ${tag}`);
    }
  }
  return Object.fromEntries(keys.map((k) => [substitute(k, vars), revive(obj[k], vars)]));
}

function parseFloatTag(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (text === "-0") return -0;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`bad $number ${text}`);
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// configs.json

export type ConfigStage = "decode" | "validate" | "plan" | "host-paths" | "pot";

export type ConfigExpect = { accepted: true } | { paths: string[]; message: string; recoverable?: boolean; stage?: ConfigStage };

export interface ConfigCase {
  id: string;
  why?: string;
  set?: Record<string, unknown>;
  config?: unknown;
  msgpackHex?: string;
  /** Task env entries added for this case (e.g. a host port for a port label). */
  env?: Record<string, string>;
  expect: ConfigExpect;
}

export interface ConfigCorpus {
  base: Record<string, unknown>;
  cases: ConfigCase[];
}

export function loadConfigCorpus(): ConfigCorpus {
  return JSON.parse(readFileSync(join(HOSTILE_FIXTURES, "configs.json"), "utf8")) as ConfigCorpus;
}

/** The decoded config a case describes, or undefined when it is given as raw bytes. */
export function caseValue(corpus: ConfigCorpus, c: ConfigCase, vars: Vars): Encodable | undefined {
  if (c.msgpackHex !== undefined) return undefined;
  if ("config" in c) return revive(c.config, vars);
  const merged: Record<string, unknown> = { ...corpus.base };
  for (const [key, value] of Object.entries(c.set ?? {})) {
    if (value !== null && typeof value === "object" && "$absent" in value) delete merged[key];
    else merged[key] = value;
  }
  return revive(merged, vars);
}

/** The msgpack_driver_config bytes of a case. */
export function caseBytes(corpus: ConfigCorpus, c: ConfigCase, vars: Vars): Uint8Array {
  if (c.msgpackHex !== undefined) return hexBytes(c.msgpackHex);
  return encodeCty(caseValue(corpus, c, vars) as Encodable);
}

// ---------------------------------------------------------------------------------------------------------
// injections.json

export const PLACEMENTS = [
  "task_name",
  "command",
  "args",
  "env_key",
  "env_value",
  "extra_hosts_name",
  "extra_hosts_ip",
  "attribute_name",
  "attribute_value",
  "exec_stop",
] as const;
export type Placement = (typeof PLACEMENTS)[number];

export type Outcome =
  | { outcome: "reject"; path: string; message: string }
  | { outcome: "literal" }
  | { outcome: "sanitized" }
  | { outcome: "skipped" }
  | { outcome: "jail-shell"; inJail?: boolean };

export interface PayloadEntry {
  id: string;
  why?: string;
  /** The text, or a `$repeat`/`$concat` form of it; `{CANARY}` is replaced per placement. */
  payload: unknown;
  expect?: Partial<Record<Placement, Outcome>>;
}

export interface InjectionCorpus {
  placements: Record<Placement, string>;
  defaults: Record<Placement, Outcome>;
  payloads: PayloadEntry[];
}

export function loadInjectionCorpus(): InjectionCorpus {
  return JSON.parse(readFileSync(join(HOSTILE_FIXTURES, "injections.json"), "utf8")) as InjectionCorpus;
}

export function expectedOutcome(corpus: InjectionCorpus, entry: PayloadEntry, placement: Placement): Outcome {
  return entry.expect?.[placement] ?? corpus.defaults[placement];
}

/** The payload text with `{CANARY}` replaced by `canary`. */
export function payloadText(entry: PayloadEntry, canary: string): string {
  const text = revive(entry.payload, { CANARY: canary });
  if (typeof text !== "string") throw new Error(`payload ${entry.id} is not a string`);
  return text;
}

/** Whether the canary travels as a bare file name (see README.md) rather than an absolute path. */
export function bareCanary(placement: Placement): boolean {
  return placement === "task_name" || placement === "command";
}
