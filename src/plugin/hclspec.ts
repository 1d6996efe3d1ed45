// hclspec (plugin layer): turns the driver's neutral spec trees into the protobuf Spec Nomad converts to hcldec.
//
// Every Attr carries its name explicitly: Nomad (helper/pluginutils/hclspecutils/dec.go) gives children of
// Default no implied name and rejects an unnamed Attr there (docs/protocol.md §5).
import type { SpecNode } from "../driver/config-schema.ts";
import { pluginConfigSpec as pluginConfigTree } from "../driver/plugin-config.ts";
import { taskConfigSpec as taskConfigTree } from "../driver/task-config.ts";
import type { Spec } from "./gen/plugins/shared/hclspec/hcl_spec.ts";

/** Converts a neutral spec tree into the protobuf Spec; an empty Object still yields a present `object`. */
export function toHclSpec(node: SpecNode): Spec {
  switch (node.kind) {
    case "object": {
      const attributes: Record<string, Spec> = {};
      for (const [key, child] of Object.entries(node.attributes)) attributes[key] = toHclSpec(child);
      return { block: { $case: "object", object: { attributes } } };
    }
    case "attr":
      return { block: { $case: "Attr", Attr: { name: node.name, type: node.type, required: node.required } } };
    case "default":
      return {
        block: { $case: "default", default: { primary: toHclSpec(node.primary), default: toHclSpec(node.fallback) } },
      };
    case "literal":
      return { block: { $case: "literal", literal: { value: node.value } } };
  }
}

/** The Spec returned by Driver.TaskConfigSchema. */
export function taskConfigSpec(): Spec {
  return toHclSpec(taskConfigTree());
}

/** The Spec returned by BasePlugin.ConfigSchema. */
export function pluginConfigSpec(): Spec {
  return toHclSpec(pluginConfigTree());
}
