// The attribute names the driver's config schemas declare: what Nomad sends as the keys of a decoded task or
// plugin config (every declared key present, null when unset). Read from the declarations, so test inputs that
// must name every attribute follow the schema as it grows.
import { pluginConfigDeclaration } from "../../src/driver/plugin-config.ts";
import { taskConfigDeclaration } from "../../src/driver/task-config.ts";

export const TASK_CONFIG_KEYS: readonly string[] = Object.values(taskConfigDeclaration.fields).map((field) => field.name);

export const PLUGIN_CONFIG_KEYS: readonly string[] = Object.values(pluginConfigDeclaration.fields).map((field) => field.name);
