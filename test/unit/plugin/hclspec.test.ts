// Tests for src/plugin/hclspec.ts: neutral tree → protobuf Spec, wire bytes, and agreement with the fixtures' specs.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pluginConfigSpec as pluginConfigTree } from "../../../src/driver/plugin-config.ts";
import { taskConfigSpec as taskConfigTree } from "../../../src/driver/task-config.ts";
import { Spec } from "../../../src/plugin/gen/plugins/shared/hclspec/hcl_spec.ts";
import { pluginConfigSpec, taskConfigSpec, toHclSpec } from "../../../src/plugin/hclspec.ts";

/** Every Attr in a Spec tree, wherever it sits. */
function attrs(spec: Spec | undefined): { name: string; type: string; required: boolean }[] {
  const block = spec?.block;
  if (!block) return [];
  switch (block.$case) {
    case "Attr":
      return [block.Attr];
    case "object":
      return Object.values(block.object.attributes).flatMap(attrs);
    case "default":
      return [...attrs(block.default.primary), ...attrs(block.default.default)];
    default:
      return [];
  }
}

describe("toHclSpec", () => {
  test("Attr keeps name, type and required", () => {
    expect(toHclSpec({ kind: "attr", name: "command", type: "string", required: true })).toEqual({
      block: { $case: "Attr", Attr: { name: "command", type: "string", required: true } },
    });
  });

  test("Default wraps a named Attr and a Literal", () => {
    expect(
      toHclSpec({
        kind: "default",
        primary: { kind: "attr", name: "enabled", type: "bool", required: false },
        fallback: { kind: "literal", value: "true" },
      }),
    ).toEqual({
      block: {
        $case: "default",
        default: {
          primary: { block: { $case: "Attr", Attr: { name: "enabled", type: "bool", required: false } } },
          default: { block: { $case: "literal", literal: { value: "true" } } },
        },
      },
    });
  });

  test("wire bytes use Nomad's field numbers (Attr = 3, default = 9, literal = 10)", () => {
    const attr = Spec.encode(toHclSpec({ kind: "attr", name: "command", type: "string", required: true })).finish();
    expect(Buffer.from(attr).toString("hex")).toBe(
      `1a13 0a07${Buffer.from("command").toString("hex")} 1206${Buffer.from("string").toString("hex")} 1801`.replace(/ /g, ""),
    );
    const withDefault = Spec.encode(
      toHclSpec({
        kind: "default",
        primary: { kind: "attr", name: "on", type: "bool", required: false },
        fallback: { kind: "literal", value: "true" },
      }),
    ).finish();
    // default(9) { primary(1) { Attr(3) { name "on", type "bool" } }, default(2) { literal(10) { value "true" } } }
    expect(Buffer.from(withDefault).toString("hex")).toBe("4a18 0a0c 1a0a 0a026f6e 1204626f6f6c 1208 5206 0a0474727565".replace(/ /g, ""));
  });

  test("an empty Object is still sent as present", () => {
    const bytes = Spec.encode(toHclSpec({ kind: "object", attributes: {} })).finish();
    expect(Buffer.from(bytes).toString("hex")).toBe("0a00");
    expect(Spec.decode(bytes)).toEqual({ block: { $case: "object", object: { attributes: {} } } });
  });
});

describe("the configs' Specs", () => {
  for (const [which, spec, tree] of [
    ["task", taskConfigSpec, taskConfigTree],
    ["plugin", pluginConfigSpec, pluginConfigTree],
  ] as const) {
    test(`${which}: Object root, every Attr named, survives a protobuf round trip`, () => {
      const built = spec();
      expect(built.block?.$case).toBe("object");
      const all = attrs(built);
      expect(all.length).toBe(Object.keys((tree() as { attributes: object }).attributes).length);
      for (const attr of all) {
        expect(attr.name).not.toBe("");
        expect(attr.type).not.toBe("");
      }
      expect(Spec.decode(Spec.encode(built).finish())).toEqual(built);
    });
  }

  test("task Spec: required seed attributes and the network_mode default", () => {
    const built = taskConfigSpec();
    if (built.block?.$case !== "object") throw new Error("root must be an object");
    const { attributes } = built.block.object;
    for (const name of ["image", "pot", "tag"]) {
      expect(attributes[name]).toEqual({ block: { $case: "Attr", Attr: { name, type: "string", required: true } } });
    }
    expect(attributes.port_map).toEqual({
      block: { $case: "Attr", Attr: { name: "port_map", type: "list(map(string))", required: false } },
    });
    expect(attributes.network_mode).toEqual(
      toHclSpec({
        kind: "default",
        primary: { kind: "attr", name: "network_mode", type: "string", required: false },
        fallback: { kind: "literal", value: '"public-bridge"' },
      }),
    );
  });

  test("the committed golden fixtures were generated from these very specs", () => {
    const committed = JSON.parse(readFileSync(join(import.meta.dir, "../../fixtures/msgpack/specs.json"), "utf8"));
    expect(committed).toEqual({ task: taskConfigTree(), plugin: pluginConfigTree() });
  });
});
