// Prints the neutral spec trees of the task and plugin configs as JSON, the input of the Go fixture generator.
import { pluginConfigSpec } from "../../src/driver/plugin-config.ts";
import { taskConfigSpec } from "../../src/driver/task-config.ts";

process.stdout.write(`${JSON.stringify({ task: taskConfigSpec(), plugin: pluginConfigSpec() }, null, 2)}\n`);
