// Tests for src/driver/config-schema.ts: HCL type parsing, base shapes, literals, paths and declareConfig.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeCtyMsgpack } from "../../../src/plugin/msgpack.ts";
import {
  type Check,
  type CtyNumber,
  declareConfig,
  defaultedField,
  eachOf,
  formatConfigIssues,
  formatConfigPath,
  hclLiteral,
  hclTypeCheck,
  INVALID,
  optionalField,
  parseHclType,
  pipe,
  requiredField,
  runCheck,
  unchanged,
} from "../../../src/driver/config-schema.ts";

/** The checked value, or a throw naming the issues. */
function parse<Out>(check: Check<unknown, Out>, value: unknown): Out {
  const result = runCheck(check, value);
  if (!result.ok) throw new Error(formatConfigIssues(result.issues));
  return result.value;
}

const nonEmpty: Check<string, string> = (s, ctx) => {
  if (s.length > 0) return s;
  ctx.issue(s, "must not be empty");
  return INVALID;
};

const integer: Check<CtyNumber, number> = (n, ctx) => {
  if (typeof n === "number" && Number.isInteger(n)) return n;
  ctx.issue(n, "must be an integer");
  return INVALID;
};

describe("parseHclType", () => {
  test("accepts the type expressions configs use", () => {
    expect(parseHclType("string")).toEqual({ kind: "string" });
    expect(parseHclType("list(map(string))")).toEqual({
      kind: "list",
      element: { kind: "map", element: { kind: "string" } },
    });
    expect(parseHclType(" set( number ) ")).toEqual({ kind: "set", element: { kind: "number" } });
  });

  for (const bad of ["", "list", "list(string", "list(string))", "String", "object({a=string})", "any", "map()"]) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      expect(() => parseHclType(bad)).toThrow();
    });
  }
});

describe("hclTypeCheck", () => {
  test("checks the decoded shape", () => {
    expect(runCheck(hclTypeCheck("list(map(string))"), [{ a: "b" }]).ok).toBe(true);
    expect(runCheck(hclTypeCheck("list(map(string))"), [{ a: 1 }])).toEqual({
      ok: false,
      issues: [{ path: "config[0].a", message: "must be a string", value: 1 }],
    });
    expect(runCheck(hclTypeCheck("list(string)"), "x")).toEqual({
      ok: false,
      issues: [{ path: "config", message: "must be a list", value: "x" }],
    });
    expect(runCheck(hclTypeCheck("set(bool)"), {}).ok).toBe(false);
    expect(runCheck(hclTypeCheck("map(string)"), ["x"]).ok).toBe(false);
    expect(runCheck(hclTypeCheck("bool"), "true").ok).toBe(false);
  });

  test("a map key named __proto__ never becomes the result's prototype", () => {
    const result = runCheck(hclTypeCheck("map(string)"), JSON.parse('{"__proto__": "x", "a": "b"}'));
    expect(result).toEqual({ ok: true, value: { a: "b" } });
    expect(result.ok && Object.getPrototypeOf(result.value)).toBe(Object.prototype);
  });

  test("numbers accept every form cty sends and normalise them", () => {
    const number = hclTypeCheck("number");
    expect(parse(number, 5)).toBe(5);
    expect(parse(number, 1.5)).toBe(1.5);
    expect(parse(number, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(parse(number, 4611686018427387905n)).toBe(4611686018427387905n);
    expect(parse(number, "0.1")).toBe(0.1);
    expect(parse(number, "-2.675")).toBe(-2.675);
    expect(parse(number, "18446744073709551617")).toBe(18446744073709551617n);
    expect(parse(number, "8080")).toBe(8080);
    // go-cty >= 1.14.4 sends whole numbers beyond int64 as text; exact ones decode as v1.12.1's float64 did.
    expect(parse(number, "18446744073709551616")).toBe(2 ** 64);
    expect(parse(number, "-9223372036854775809")).toBe(-9223372036854775809n);
    expect(parse(number, "9223372036854775808")).toBe(2 ** 63);
    expect(runCheck(number, "1e5").ok).toBe(false);
    expect(runCheck(number, "abc").ok).toBe(false);
    expect(runCheck(number, true).ok).toBe(false);
  });
});

describe("hclLiteral", () => {
  const cases: [unknown, string][] = [
    ["public-bridge", '"public-bridge"'],
    ['say "hi"\\', '"say \\"hi\\"\\\\"'],
    ["a\nb\tc\u0001", '"a\\nb\\tc\\u0001"'],
    ["${HOME} and %{if}", '"$${HOME} and %%{if}"'],
    ["$ and % alone", '"$ and % alone"'],
    [true, "true"],
    [false, "false"],
    [30, "30"],
    [[], "[]"],
    [["a", "b"], '["a", "b"]'],
    [{}, "{}"],
    [{ enabled: true, "odd key": "x" }, '{ "enabled" = true, "odd key" = "x" }'],
  ];
  for (const [value, literal] of cases) {
    test(`${JSON.stringify(value)} → ${literal}`, () => {
      expect(hclLiteral(value)).toBe(literal);
    });
  }

  test("refuses what HCL literals cannot carry", () => {
    expect(() => hclLiteral(null)).toThrow();
    expect(() => hclLiteral(Number.NaN)).toThrow();
    expect(() => hclLiteral(1n)).toThrow();
  });
});

describe("formatConfigPath / formatConfigIssues", () => {
  test("paths read like the config", () => {
    expect(formatConfigPath("config", ["copy", 1])).toBe("config.copy[1]");
    expect(formatConfigPath("config", ["port_map", "http"])).toBe("config.port_map.http");
    expect(formatConfigPath("config", ["port_map", "my label"])).toBe('config.port_map["my label"]');
    expect(formatConfigPath("config", ["port_map", "9x"])).toBe('config.port_map["9x"]');
    expect(formatConfigPath("config", [])).toBe("config");
  });

  test("issues render one per problem with the offending value", () => {
    expect(
      formatConfigIssues([
        { path: "config.copy[1]", message: "host path must be an absolute path", value: "a:/b" },
        { path: "config.pot", message: "required attribute is missing" },
        { path: "config.n", message: "too big", value: 5n },
      ]),
    ).toBe(
      'config.copy[1]: host path must be an absolute path (got "a:/b"); config.pot: required attribute is missing; ' +
        'config.n: too big (got "5")',
    );
  });
});

describe("checks", () => {
  test("eachOf checks every element and reports each under its index", () => {
    expect(runCheck(eachOf(nonEmpty), ["a", "", "b", ""])).toEqual({
      ok: false,
      issues: [
        { path: "config[1]", message: "must not be empty", value: "" },
        { path: "config[3]", message: "must not be empty", value: "" },
      ],
    });
    expect(runCheck(eachOf(nonEmpty), ["a", "b"])).toEqual({ ok: true, value: ["a", "b"] });
  });

  test("pipe stops at the first check that fails", () => {
    let ran = false;
    const second: Check<string, string> = (s) => {
      ran = true;
      return s.toUpperCase();
    };
    expect(runCheck(pipe(nonEmpty, second), "").ok).toBe(false);
    expect(ran).toBe(false);
    expect(runCheck(pipe(nonEmpty, second), "a")).toEqual({ ok: true, value: "A" });
  });

  test("a check that reports an issue fails even when it returns a value", () => {
    const lenient: Check<string, string> = (s, ctx) => {
      ctx.issue(s, "noted", ["detail"]);
      return s;
    };
    expect(runCheck(lenient, "x")).toEqual({ ok: false, issues: [{ path: "config.detail", message: "noted", value: "x" }] });
  });
});

describe("declareConfig", () => {
  const declaration = declareConfig(
    {
      name: requiredField({ name: "name", type: "string", check: nonEmpty, doc: "" }),
      tags: optionalField({ name: "tags", type: "list(string)", check: unchanged, absent: [], doc: "" }),
      retries: defaultedField({
        name: "retry_count",
        type: "number",
        check: integer,
        default: 3,
        doc: "",
      }),
    },
    {
      whenNull: "issue",
      rules: [(raw) => (raw.name === "forbidden" ? [{ path: ["name"], message: "is forbidden", value: raw.name }] : [])],
    },
  );

  test("derives an Object of Attr and Default{Attr, Literal}, names always explicit", () => {
    expect(declaration.spec()).toEqual({
      kind: "object",
      attributes: {
        name: { kind: "attr", name: "name", type: "string", required: true },
        tags: { kind: "attr", name: "tags", type: "list(string)", required: false },
        retry_count: {
          kind: "default",
          primary: { kind: "attr", name: "retry_count", type: "number", required: false },
          fallback: { kind: "literal", value: "3" },
        },
      },
    });
  });

  test("fields carry the default as literal and typed value", () => {
    expect(declaration.fields.retries.default).toEqual({ hcl: "3", value: 3 });
    expect(declaration.fields.name.required).toBe(true);
    expect(declaration.fields.tags.default).toBeUndefined();
  });

  test("maps attribute names to typed keys and applies absent values and defaults", () => {
    expect(declaration.validate({ name: "x", tags: null, retry_count: null })).toEqual({
      ok: true,
      config: { name: "x", tags: [], retries: 3 },
    });
    expect(declaration.validate({ name: "x", tags: ["a"], retry_count: "7" })).toEqual({
      ok: true,
      config: { name: "x", tags: ["a"], retries: 7 },
    });
  });

  test("absent keys count as null", () => {
    expect(declaration.validate({ name: "x" })).toEqual({ ok: true, config: { name: "x", tags: [], retries: 3 } });
  });

  test("reports every problem at once, rules included", () => {
    const result = declaration.validate({ name: "forbidden", tags: [1, "b", 2], retry_count: 1.5, extra: true });
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: "config.tags[0]", message: "must be a string", value: 1 },
        { path: "config.tags[2]", message: "must be a string", value: 2 },
        { path: "config.retry_count", message: "must be an integer", value: 1.5 },
        { path: "config.extra", message: "unknown attribute", value: true },
        { path: "config.name", message: "is forbidden", value: "forbidden" },
      ],
    });
  });

  test("a missing required attribute carries no value", () => {
    expect(declaration.validate({ name: null })).toEqual({
      ok: false,
      issues: [{ path: "config.name", message: "required attribute is missing" }],
    });
  });

  test("null config and non-objects", () => {
    expect(declaration.validate(null)).toEqual({ ok: false, issues: [{ path: "config", message: "no config was sent" }] });
    expect(declaration.validate(["x"])).toEqual({
      ok: false,
      issues: [{ path: "config", message: "must be an object", value: ["x"] }],
    });
    expect(declaration.validate("x")).toEqual({
      ok: false,
      issues: [{ path: "config", message: "must be an object", value: "x" }],
    });
  });

  test("whenNull: defaults applies every default", () => {
    const withDefaults = declareConfig(
      { on: defaultedField({ name: "on", type: "bool", check: unchanged, default: true, doc: "" }) },
      { whenNull: "defaults" },
    );
    expect(withDefaults.validate(null)).toEqual({ ok: true, config: { on: true } });
    expect(withDefaults.validate(undefined)).toEqual({ ok: true, config: { on: true } });
  });

  test("declaration mistakes fail at load time", () => {
    expect(() =>
      declareConfig(
        {
          a: optionalField({ name: "x", type: "string", check: unchanged, absent: undefined, doc: "" }),
          b: optionalField({ name: "x", type: "string", check: unchanged, absent: undefined, doc: "" }),
        },
        { whenNull: "issue" },
      ),
    ).toThrow("declared twice");
    expect(() =>
      defaultedField({
        name: "n",
        type: "string",
        check: pipe(nonEmpty, (v, ctx) => {
          if (v.length >= 2) return v;
          ctx.issue(v, "too short");
          return INVALID;
        }),
        default: "a",
        doc: "",
      }),
    ).toThrow("default of config attribute n is invalid");
    expect(() => requiredField({ name: "n", type: "strin" as "string", check: unchanged, doc: "" })).toThrow();
  });
});

describe("numbers from either go-cty", () => {
  const FIXTURES = join(import.meta.dir, "../../fixtures/msgpack");
  const decoded = (name: string): Record<string, unknown> => {
    const result = decodeCtyMsgpack(new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`))));
    if (!result.ok) throw result.error;
    return result.value as Record<string, unknown>;
  };
  test("2^64 as v1.12.1's float64 and as v1.14.4's decimal string is the same number field", () => {
    const number = hclTypeCheck("number");
    const older = decoded("numbers").w_two_pow_64;
    const newer = decoded("numbers-cty114").c_two_pow_64;
    expect(typeof older).toBe("number");
    expect(newer).toBe("18446744073709551616");
    expect(parse(number, newer)).toBe(parse(number, older));
    // One past 2^64 was text in both releases and stays exact.
    expect(parse(number, decoded("numbers-cty114").d_above_uint64)).toBe(parse(number, decoded("numbers").x_above_uint64));
    expect(parse(number, decoded("numbers-cty114").a_int64_max)).toBe(9223372036854775807n);
  });
});
