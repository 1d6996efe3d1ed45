// go-cty msgpack decoding (plugin layer): the bytes Nomad sends as msgpack_driver_config / msgpack_config.
//
// Byte format (docs/protocol.md §6, go-cty cty/msgpack with compact ints, floats never compacted):
// objects and maps are msgpack maps with str keys, every declared attribute present (nil when unset);
// lists, sets and tuples are arrays; numbers arrive as compact ints, float64, or a decimal str when neither
// is exact (0.1, integers beyond int64); an unknown value is ext type 0, a refined unknown ext type 0x0c;
// a value encoded against DynamicPseudoType is wrapped as [bin(type JSON), value].
import { decode, DecodeError, ExtData, ExtensionCodec } from "@msgpack/msgpack";
import { formatConfigPath, type PathSegment } from "../driver/config-schema.ts";
import { describeError } from "../log/logger.ts";

/** A decoded cty value. Objects and maps are plain objects, lists/sets/tuples arrays; numbers see below. */
export type CtyValue = null | boolean | number | bigint | string | CtyValue[] | CtyObject;
export interface CtyObject {
  [key: string]: CtyValue;
}

/**
 * Why decoding failed: `malformed` = not msgpack as cty writes it (truncated, trailing bytes, reserved type
 * byte, a map key that is not a str, oversized length header); `unknown` = an unknown value (Nomad resolves
 * every variable first, so one reaching us is a bug upstream); `unexpected` = valid msgpack go-cty never
 * produces (bin outside a dynamic wrapper, other ext types, nesting deeper than any config).
 */
export type CtyDecodeErrorKind = "malformed" | "unknown" | "unexpected";

export class CtyDecodeError extends Error {
  override readonly name = "CtyDecodeError";
  constructor(
    readonly kind: CtyDecodeErrorKind,
    /** Where in the value the problem is, e.g. `config.args[1]`; the root alone for malformed input. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type CtyDecodeResult = { ok: true; value: CtyValue } | { ok: false; error: CtyDecodeError };

export interface CtyDecodeOptions {
  /** First segment of every error path; defaults to "config". */
  root?: string;
}

/** Deepest nesting accepted; configs nest a few levels, so anything deeper is garbage. */
const MAX_DEPTH = 64;

const UNKNOWN_EXT_TYPE = 0;
const REFINED_UNKNOWN_EXT_TYPE = 0x0c;

/** Stands in for an unknown value between the msgpack decoder and the walk that reports its path. */
class UnknownMarker {
  constructor(readonly refined: boolean) {}
}

const extensionCodec = new ExtensionCodec();
extensionCodec.register({
  type: UNKNOWN_EXT_TYPE,
  encode: () => null,
  decode: () => new UnknownMarker(false),
});
extensionCodec.register({
  type: REFINED_UNKNOWN_EXT_TYPE,
  encode: () => null,
  decode: () => new UnknownMarker(true),
});

/** cty map keys and object attribute names are always str; anything else means the bytes are not cty's. */
function strKeyOnly(key: unknown): string {
  if (typeof key !== "string") {
    throw new DecodeError(`map key must be a string, got ${typeof key}`);
  }
  return key;
}

/**
 * Decodes go-cty msgpack into a plain value. Never throws: any input, including garbage, yields a result.
 *
 * - Empty input decodes to `null`: Nomad sends no bytes when there is no config at all.
 * - Integers are `number` when within ±(2^53-1), else `bigint`; floats (±Infinity included) are `number`;
 *   numbers cty could not send exactly stay the decimal `string` cty sent (callers that expect a number
 *   convert it, see driver/config-schema.ts).
 * - A dynamic wrapper `[bin(type JSON), value]` decodes to `value`.
 * - An unknown (ext 0) or refined unknown (ext 0x0c) anywhere is an `unknown` error naming its path.
 */
export function decodeCtyMsgpack(bytes: Uint8Array, options: CtyDecodeOptions = {}): CtyDecodeResult {
  const root = options.root ?? "config";
  if (bytes.length === 0) return { ok: true, value: null };
  let raw: unknown;
  try {
    raw = decode(bytes, {
      useBigInt64: true,
      extensionCodec,
      mapKeyConverter: strKeyOnly,
      // Every element takes at least one byte, so no honest header can announce more than the input holds.
      maxStrLength: bytes.length,
      maxBinLength: bytes.length,
      maxArrayLength: bytes.length,
      maxMapLength: bytes.length,
      maxExtLength: bytes.length,
    });
  } catch (cause) {
    const detail = describeError(cause);
    return {
      ok: false,
      error: new CtyDecodeError("malformed", root, `failed to decode msgpack: ${detail}`, { cause }),
    };
  }
  try {
    return { ok: true, value: toCtyValue(raw, [], root) };
  } catch (err) {
    if (err instanceof CtyDecodeError) return { ok: false, error: err };
    const detail = describeError(err);
    return {
      ok: false,
      error: new CtyDecodeError("unexpected", root, `failed to decode msgpack: ${detail}`, { cause: err }),
    };
  }
}

function toCtyValue(raw: unknown, path: PathSegment[], root: string): CtyValue {
  if (path.length > MAX_DEPTH) {
    const where = formatConfigPath(root, path);
    throw new CtyDecodeError("unexpected", where, `${where} is nested deeper than ${MAX_DEPTH} levels`);
  }
  if (raw === null || typeof raw === "boolean" || typeof raw === "string") return raw;
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") {
    return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw;
  }
  if (raw instanceof UnknownMarker) {
    const what = raw.refined ? "a refined unknown value (ext type 0x0c)" : "an unknown value (ext type 0)";
    throw new CtyDecodeError(
      "unknown",
      formatConfigPath(root, path),
      `${formatConfigPath(root, path)} is ${what}; Nomad must resolve every value before sending a config`,
    );
  }
  if (raw instanceof ExtData) {
    throw new CtyDecodeError(
      "unexpected",
      formatConfigPath(root, path),
      `${formatConfigPath(root, path)} is a msgpack extension of type ${raw.type}, which go-cty never sends`,
    );
  }
  if (raw instanceof Uint8Array) {
    throw new CtyDecodeError(
      "unexpected",
      formatConfigPath(root, path),
      `${formatConfigPath(root, path)} is binary data outside a dynamic-type wrapper`,
    );
  }
  if (Array.isArray(raw)) {
    if (raw.length === 2 && raw[0] instanceof Uint8Array) {
      checkTypeJson(raw[0], path, root);
      return toCtyValue(raw[1], path, root);
    }
    const out: CtyValue[] = [];
    for (let index = 0; index < raw.length; index++) {
      path.push(index);
      out.push(toCtyValue(raw[index], path, root));
      path.pop();
    }
    return out;
  }
  if (typeof raw === "object") {
    // The msgpack decoder builds plain objects and refuses the key "__proto__", so plain assignment is safe.
    const out: CtyObject = {};
    for (const [key, value] of Object.entries(raw)) {
      path.push(key);
      out[key] = toCtyValue(value, path, root);
      path.pop();
    }
    return out;
  }
  throw new CtyDecodeError("unexpected", formatConfigPath(root, path), `unsupported value of type ${typeof raw}`);
}

/** The first element of a dynamic wrapper must be cty type JSON: a type name string or a [kind, …] array. */
function checkTypeJson(bin: Uint8Array, path: PathSegment[], root: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bin));
  } catch (cause) {
    throw new CtyDecodeError(
      "unexpected",
      formatConfigPath(root, path),
      `${formatConfigPath(root, path)} has a dynamic-type wrapper whose type is not JSON`,
      { cause },
    );
  }
  if (typeof parsed !== "string" && !(Array.isArray(parsed) && typeof parsed[0] === "string")) {
    throw new CtyDecodeError(
      "unexpected",
      formatConfigPath(root, path),
      `${formatConfigPath(root, path)} has a dynamic-type wrapper whose type is not a cty type`,
    );
  }
}
