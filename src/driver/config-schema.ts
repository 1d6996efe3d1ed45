// Config declarations (driver layer): one record per attribute, from which both the validator of the decoded
// value and the neutral hclspec tree sent to Nomad are derived, so the two cannot drift.
//
// A field's HCL type expression fixes the shape checked first (string, bool, number, list(T), set(T), map(T));
// the field's own `check` then validates and normalises that shape into the typed value. Checks are plain
// functions (no schema library): the plugin's start-up and memory stay at the floor of its runtime.

/** A number as cty delivers it after decoding: `number` when exact in float64, else `bigint` (integers). */
export type CtyNumber = number | bigint;

/** The TypeScript shape of a decoded value of HCL type expression `T`. */
export type HclValue<T extends string> = T extends "string"
  ? string
  : T extends "bool"
    ? boolean
    : T extends "number"
      ? CtyNumber
      : T extends `list(${infer E})`
        ? HclValue<E>[]
        : T extends `set(${infer E})`
          ? HclValue<E>[]
          : T extends `map(${infer E})`
            ? Record<string, HclValue<E>>
            : never;

/**
 * The neutral hclspec tree (docs/protocol.md §5): plugin/hclspec.ts turns it into the protobuf Spec. Attribute
 * names are always explicit because Nomad gives children of Default no implied name.
 */
export type SpecNode =
  | { kind: "object"; attributes: Record<string, SpecNode> }
  | { kind: "attr"; name: string; type: string; required: boolean }
  | { kind: "default"; primary: SpecNode; fallback: SpecNode }
  | { kind: "literal"; value: string };

/** One problem found in a config; `path` is rooted at "config", e.g. `config.copy[1]`. */
export interface ConfigIssue {
  path: string;
  message: string;
  /** The offending decoded value (absent when the problem is a missing value). */
  value?: unknown;
}

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; issues: ConfigIssue[] };

export type PathSegment = string | number;

/** Renders a path as config issues show it: `config.port_map.http`, `config.copy[1]`, `config["odd key"]`. */
export function formatConfigPath(root: string, segments: readonly PathSegment[]): string {
  let out = root;
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Issues listed in full in one message; the rest are counted. Hundreds would not fit a gRPC status. */
const MAX_LISTED_ISSUES = 20;
const MAX_ISSUE_LENGTH = 400;

/** All issues on one line, each as `path: message (got value)`, joined by "; ", bounded in length. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((issue) => {
    const text =
      "value" in issue ? `${issue.path}: ${issue.message} (got ${describeValue(issue.value)})` : `${issue.path}: ${issue.message}`;
    if (text.length <= MAX_ISSUE_LENGTH) return text;
    // Never cut between the two halves of a surrogate pair.
    const cut = /[\ud800-\udbff]/.test(text[MAX_ISSUE_LENGTH - 4] ?? "") ? MAX_ISSUE_LENGTH - 4 : MAX_ISSUE_LENGTH - 3;
    return `${text.slice(0, cut)}...`;
  });
  const rest = issues.length - listed.length;
  return rest > 0 ? `${listed.join("; ")}; and ${rest} more issue${rest === 1 ? "" : "s"}` : listed.join("; ");
}

function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

// ---------------------------------------------------------------------------------------------------------
// Checks: how a value is validated and normalised

/**
 * Where a check reports problems: `issue` records one for the value being checked (or, with `path`, for a part of
 * it); `at` gives the context of an element or entry. Every issue keeps the offending value for the message.
 */
export class CheckContext {
  constructor(
    private readonly sink: RawIssue[],
    private readonly base: readonly PathSegment[] = [],
  ) {}

  issue(input: unknown, message: string, path: readonly PathSegment[] = []): void {
    this.sink.push({ path: [...this.base, ...path], message, input });
  }

  at(segment: PathSegment): CheckContext {
    return new CheckContext(this.sink, [...this.base, segment]);
  }

  /** Issues recorded so far (a check that reported any has failed, whatever it returned). */
  get count(): number {
    return this.sink.length;
  }
}

/** A problem as a check reports it: the path below the config's root, the message and the value concerned. */
interface RawIssue {
  path: PathSegment[];
  message: string;
  input: unknown;
}

/** What a check returns for a value it rejected (after reporting why). */
export const INVALID: unique symbol = Symbol("invalid");
export type Invalid = typeof INVALID;

/** Validates and normalises a value: the typed value, or INVALID. Reporting an issue fails the check as well. */
export type Check<In, Out> = (value: In, ctx: CheckContext) => Out | Invalid;

/** Runs `check` on `value`: the typed value, or every issue it reported (paths rooted at "config"). */
export function runCheck<In, Out>(check: Check<In, Out>, value: In): { ok: true; value: Out } | { ok: false; issues: ConfigIssue[] } {
  const sink: RawIssue[] = [];
  const result = check(value, new CheckContext(sink));
  if (result === INVALID || sink.length > 0) return { ok: false, issues: sink.map((issue) => toConfigIssue(issue)) };
  return { ok: true, value: result };
}

/** Runs `check` and says whether it failed (returned INVALID or reported an issue). */
function failed<In, Out>(check: Check<In, Out>, value: In, ctx: CheckContext): { ok: true; value: Out } | { ok: false } {
  const before = ctx.count;
  const result = check(value, ctx);
  return result === INVALID || ctx.count > before ? { ok: false } : { ok: true, value: result };
}

/** Every element of a list checked on its own, each issue under its index; fails when any element fails. */
export function eachOf<In, Out>(check: Check<In, Out>): Check<readonly In[], Out[]> {
  return (values, ctx) => {
    const out: Out[] = [];
    let ok = true;
    for (let i = 0; i < values.length; i++) {
      const result = failed(check, values[i] as In, ctx.at(i));
      if (result.ok) out.push(result.value);
      else ok = false;
    }
    return ok ? out : INVALID;
  };
}

/** A string that matches `pattern`, else `message`. */
export function matching(pattern: RegExp, message: string): Check<string, string> {
  return (value, ctx) => {
    if (pattern.test(value)) return value;
    ctx.issue(value, message);
    return INVALID;
  };
}

/** A string that is one of `values`, else `message`. */
export function oneOf<const V extends string>(values: readonly V[], message: string): Check<string, V> {
  return (value, ctx) => {
    if ((values as readonly string[]).includes(value)) return value as V;
    ctx.issue(value, message);
    return INVALID;
  };
}

/** The value as the declared type delivered it. */
export function unchanged<T>(value: T): T {
  return value;
}

/** `first`, then `then` on its result; `then` does not run when `first` failed. */
export function pipe<A, B, C>(first: Check<A, B>, then: Check<B, C>): Check<A, C> {
  return (value, ctx) => {
    const result = failed(first, value, ctx);
    return result.ok ? then(result.value, ctx) : INVALID;
  };
}

// ---------------------------------------------------------------------------------------------------------
// HCL type expressions → shape checks

type HclTypeNode = { kind: "string" | "bool" | "number" } | { kind: "list" | "set" | "map"; element: HclTypeNode };

/** Parses the subset of HCL type expressions a flat config uses; throws on anything else (a programming error). */
export function parseHclType(expr: string): HclTypeNode {
  const text = expr.replace(/\s+/g, "");
  let pos = 0;
  const parse = (): HclTypeNode => {
    const match = /^[a-z]+/.exec(text.slice(pos));
    if (!match) throw new Error(`invalid HCL type expression ${JSON.stringify(expr)}`);
    const word = match[0];
    pos += word.length;
    if (word === "string" || word === "bool" || word === "number") return { kind: word };
    if (word === "list" || word === "set" || word === "map") {
      if (text[pos] !== "(") throw new Error(`invalid HCL type expression ${JSON.stringify(expr)}`);
      pos++;
      const element = parse();
      if (text[pos] !== ")") throw new Error(`invalid HCL type expression ${JSON.stringify(expr)}`);
      pos++;
      return { kind: word, element };
    }
    throw new Error(`unsupported HCL type ${JSON.stringify(word)} in ${JSON.stringify(expr)}`);
  };
  const node = parse();
  if (pos !== text.length) throw new Error(`invalid HCL type expression ${JSON.stringify(expr)}`);
  return node;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** cty numbers: int, float64 (±Infinity included) or the decimal string cty sends when neither is exact. */
const ctyNumber: Check<unknown, CtyNumber> = (value, ctx) => {
  if ((typeof value === "number" && !Number.isNaN(value)) || typeof value === "bigint") return value;
  if (typeof value !== "string" || !DECIMAL.test(value)) {
    ctx.issue(value, "must be a number");
    return INVALID;
  }
  if (!value.includes(".")) {
    const big = BigInt(value);
    if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
    // go-cty >= 1.14.4 sends a whole number beyond the int64 range as text where older go-cty (Nomad
    // v1.6.3's v1.12.1) sent a float64 when one holds it exactly: both decode to that same number.
    if ((big > INT64_MAX || big < INT64_MIN) && BigInt(Number(big)) === big) return Number(big);
    return big;
  }
  // Fractional decimals beyond float64 precision are rounded to the nearest float64.
  return Number(value);
};

/** An object whose prototype is Object's (or none): what a decoded cty map or object is. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto: unknown = ctor.prototype;
  return typeof proto === "object" && proto !== null && !Array.isArray(proto) && Object.hasOwn(proto, "isPrototypeOf");
}

function shapeCheck(node: HclTypeNode): Check<unknown, unknown> {
  switch (node.kind) {
    case "string":
      return (value, ctx) => (typeof value === "string" ? value : reject(ctx, value, "must be a string"));
    case "bool":
      return (value, ctx) => (typeof value === "boolean" ? value : reject(ctx, value, "must be a bool"));
    case "number":
      return ctyNumber;
    case "list":
    case "set": {
      const elements = eachOf(shapeCheck(node.element));
      const message = `must be a ${node.kind}`;
      return (value, ctx) => (Array.isArray(value) ? elements(value, ctx) : reject(ctx, value, message));
    }
    case "map": {
      const element = shapeCheck(node.element);
      return (value, ctx) => {
        if (!isPlainObject(value)) return reject(ctx, value, "must be a map");
        const out: Record<string, unknown> = {};
        let ok = true;
        for (const key of Object.keys(value)) {
          // Never a prototype: a key named __proto__ is left out, as an assignment would replace it.
          if (key === "__proto__") continue;
          const result = failed(element, value[key], ctx.at(key));
          if (result.ok) out[key] = result.value;
          else ok = false;
        }
        return ok ? out : INVALID;
      };
    }
  }
}

function reject(ctx: CheckContext, value: unknown, message: string): Invalid {
  ctx.issue(value, message);
  return INVALID;
}

/** The check of a decoded value's shape for HCL type `expr` (no field rules). */
export function hclTypeCheck<const T extends string>(expr: T): Check<unknown, HclValue<T>> {
  return shapeCheck(parseHclType(expr)) as Check<unknown, HclValue<T>>;
}

// ---------------------------------------------------------------------------------------------------------
// HCL literals for defaults

/**
 * Writes a value as an HCL expression for a Literal spec: strings quoted with HCL escapes (and `${`/`%{`
 * doubled so they stay literal), bools, finite numbers, lists and string-keyed objects.
 */
export function hclLiteral(value: unknown): string {
  if (typeof value === "string") return hclString(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(hclLiteral).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${hclString(k)} = ${hclLiteral(v)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  throw new Error(`cannot write ${String(value)} as an HCL literal`);
}

function hclString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if ((ch === "$" || ch === "%") && value[i + 1] === "{") out += ch + ch;
    else out += ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------------------
// Field declarations

interface FieldDeclBase<T extends string, Out> {
  /** Attribute name as written in the job's or agent's `config {}` block. */
  name: string;
  /** HCL type expression sent in the spec and used to check the decoded shape, e.g. "list(string)". */
  type: T;
  /** Validates and normalises a present (non-null) value of the declared type. */
  check: Check<HclValue<T>, Out>;
  doc: string;
}

/** A declared config attribute. `parse` validates the decoded attribute, null or absent included. */
export interface ConfigField<Out> {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  /** The default as the HCL literal Nomad evaluates and as the typed value it becomes. */
  readonly default: { readonly hcl: string; readonly value: Out } | undefined;
  readonly doc: string;
  readonly parse: Check<unknown, Out>;
}

/** The declared type's shape first; the field's own check only runs on a value of that shape. */
function presentCheck<T extends string, Out>(decl: FieldDeclBase<T, Out>): Check<unknown, Out> {
  return pipe(hclTypeCheck(decl.type), decl.check);
}

/** The field record of `decl`: its name, type and doc, with what the kind of field decides. */
function fieldOf<T extends string, Out>(
  decl: FieldDeclBase<T, unknown>,
  kind: Pick<ConfigField<Out>, "required" | "default" | "parse">,
): ConfigField<Out> {
  return { name: decl.name, type: decl.type, required: kind.required, default: kind.default, doc: decl.doc, parse: kind.parse };
}

/** `present`, with null or absent (no attribute, or no config at all) becoming `fallback`. */
function orWhenAbsent<Out, A>(present: Check<unknown, Out>, fallback: A): Check<unknown, Out | A> {
  return (value, ctx) => (value === null || value === undefined ? fallback : present(value, ctx));
}

const MISSING = "required attribute is missing";

/** An attribute the job must set: `Attr{required: true}`; null or absent is an issue. */
export function requiredField<const T extends string, Out>(decl: FieldDeclBase<T, Out>): ConfigField<Out> {
  const present = presentCheck(decl);
  const parse: Check<unknown, Out> = (value, ctx) =>
    value === null || value === undefined ? reject(ctx, value, MISSING) : present(value, ctx);
  return fieldOf(decl, { required: true, default: undefined, parse });
}

/** An optional attribute without a spec default: `Attr{required: false}`; null or absent becomes `absent`. */
export function optionalField<const T extends string, Out, const A>(decl: FieldDeclBase<T, Out> & { absent: A }): ConfigField<Out | A> {
  return fieldOf(decl, { required: false, default: undefined, parse: orWhenAbsent(presentCheck(decl), decl.absent) });
}

/**
 * An attribute with a default: `Default{Attr, Literal}`, so Nomad fills it in; null or absent (no config at
 * all) becomes the same typed default. `default` is the raw value Nomad would send; its HCL literal and
 * typed value are derived here, and a default the field's own check rejects fails at load time.
 */
export function defaultedField<const T extends string, Out>(decl: FieldDeclBase<T, Out> & { default: HclValue<T> }): ConfigField<Out> {
  const present = presentCheck(decl);
  const parsed = runCheck(present, decl.default);
  if (!parsed.ok) {
    throw new Error(`default of config attribute ${decl.name} is invalid: ${formatConfigIssues(parsed.issues)}`);
  }
  const value = parsed.value;
  return fieldOf(decl, { required: false, default: { hcl: hclLiteral(decl.default), value }, parse: orWhenAbsent(present, value) });
}

// ---------------------------------------------------------------------------------------------------------
// Whole configs

export type ConfigFields = Record<string, ConfigField<unknown>>;

/** The typed config: one property per declaration key, holding that field's typed value. */
export type ConfigOf<F extends ConfigFields> = { [K in keyof F]: F[K] extends ConfigField<infer Out> ? Out : never };

/** A problem spanning attributes, checked on the raw decoded object so it is reported alongside the rest. */
export interface RuleIssue {
  path: PathSegment[];
  message: string;
  value?: unknown;
}
export type ConfigRule = (raw: Readonly<Record<string, unknown>>) => RuleIssue[];

export interface ConfigDeclaration<F extends ConfigFields> {
  readonly fields: F;
  /** The spec tree for Nomad: an Object of Attr / Default{Attr, Literal}. */
  spec(): SpecNode;
  /** Checks a decoded value; reports every issue at once, never throws. */
  validate(value: unknown): ConfigResult<ConfigOf<F>>;
}

export interface DeclareOptions {
  /** When no config was sent at all (decoded null): use every default, or report it as an issue. */
  whenNull: "defaults" | "issue";
  rules?: ConfigRule[];
}

const ROOT = "config";

export function declareConfig<const F extends ConfigFields>(fields: F, options: DeclareOptions): ConfigDeclaration<F> {
  const names = new Set<string>();
  for (const field of Object.values(fields)) {
    if (names.has(field.name)) throw new Error(`config attribute ${field.name} declared twice`);
    names.add(field.name);
  }

  // Every attribute in declaration order, then each attribute the declaration does not know.
  const parseObject: Check<unknown, ConfigOf<F>> = (raw, ctx) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return reject(ctx, raw, "must be an object");
    const input = raw as Record<string, unknown>;
    const typed: Record<string, unknown> = {};
    let ok = true;
    for (const [key, field] of Object.entries(fields)) {
      const result = failed(field.parse, input[field.name], ctx.at(field.name));
      if (result.ok) typed[key] = result.value;
      else ok = false;
    }
    for (const name in input) {
      if (!names.has(name)) {
        ctx.at(name).issue(input[name], UNKNOWN);
        ok = false;
      }
    }
    return ok ? (typed as ConfigOf<F>) : INVALID;
  };

  const spec = (): SpecNode => {
    const attributes: Record<string, SpecNode> = {};
    for (const field of Object.values(fields)) {
      const attr: SpecNode = { kind: "attr", name: field.name, type: field.type, required: field.required };
      attributes[field.name] = field.default
        ? { kind: "default", primary: attr, fallback: { kind: "literal", value: field.default.hcl } }
        : attr;
    }
    return { kind: "object", attributes };
  };

  const validate = (value: unknown): ConfigResult<ConfigOf<F>> => {
    let input = value;
    if (input === null || input === undefined) {
      if (options.whenNull === "issue") return { ok: false, issues: [{ path: ROOT, message: "no config was sent" }] };
      input = {};
    }
    const parsed = runCheck(parseObject, input);
    const issues: ConfigIssue[] = parsed.ok ? [] : parsed.issues;
    if (input !== null && typeof input === "object" && !Array.isArray(input)) {
      for (const rule of options.rules ?? []) {
        for (const issue of rule(input as Record<string, unknown>)) {
          issues.push({ ...issue, path: formatConfigPath(ROOT, issue.path) });
        }
      }
    }
    if (issues.length > 0 || !parsed.ok) return { ok: false, issues };
    return { ok: true, config: parsed.value };
  };

  return { fields, spec, validate };
}

const UNKNOWN = "unknown attribute";

/** A check's issue as the config reports it: the offending value kept, except for a missing attribute. */
function toConfigIssue(issue: RawIssue): ConfigIssue {
  const out: ConfigIssue = { path: formatConfigPath(ROOT, issue.path), message: issue.message };
  if (issue.input !== undefined && issue.message !== MISSING) out.value = issue.input;
  return out;
}
