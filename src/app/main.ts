// Entry point: dispatches on argv only. No arguments → serve as a Nomad plugin; `version` → print it;
// `doctor`, `orphans` and `selftest` → the operator commands in src/cli/.
import { log } from "../log/logger.ts";
import { hasMagicCookie, NOT_A_PLUGIN_MESSAGE } from "../host/handshake.ts";
import { serve } from "../host/serve.ts";
import { VERSION } from "../version.ts";
import { addDeferredPluginServices, type DeferredServices } from "./deferred-services.ts";
import { makeDriver } from "./driver-core.ts";

// Only what the handshake needs is imported above. The operator commands and the driver core are loaded with
// import() where they are used: a command's code when that command runs, the driver's once the handshake line
// is out (or by the first RPC), so the plugin announces itself at the start-up cost of its gRPC runtime.

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === "version" || command === "--version") {
    process.stdout.write(`pot-task-driver ${VERSION}\n`);
    return 0;
  }
  if (command === "doctor") return (await import("../cli/doctor.ts")).doctorCommand(argv.slice(1), VERSION, cliIo);
  if (command === "orphans") {
    const [{ orphansCommand }, { linePrompter }] = await Promise.all([import("../cli/orphans.ts"), import("../cli/confirm.ts")]);
    return orphansCommand(argv.slice(1), {
      ...cliIo,
      stdinIsTty: process.stdin.isTTY === true,
      prompter: () => linePrompter(process.stdin, process.stderr),
    });
  }
  if (command === "selftest") {
    const [{ selftestCommand }, { PotCli }, { SpawnRunner }] = await Promise.all([
      import("../cli/selftest.ts"),
      import("../pot/pot-cli.ts"),
      import("../pot/runner.ts"),
    ]);
    const runner = new SpawnRunner();
    return selftestCommand(argv.slice(1), {
      ...cliIo,
      version: VERSION,
      makeDriver: () => makeDriver(runner),
      pot: (potPath) => new PotCli(potPath, runner, { logger: log }),
    });
  }
  if (command !== undefined) {
    process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${NOT_A_PLUGIN_MESSAGE}`);
    return 2;
  }
  if (!hasMagicCookie(process.env)) {
    process.stderr.write(NOT_A_PLUGIN_MESSAGE);
    return 1;
  }
  // stdout belongs to the handshake line: keep stray console output on stderr.
  console.log = console.error;
  console.info = console.error;
  let services: DeferredServices | undefined;
  await serve({
    env: process.env,
    register: (server) => {
      services = addDeferredPluginServices(server, async () => makeDriver(new (await import("../pot/runner.ts")).SpawnRunner()));
    },
  });
  // The handshake line is out: load the driver now, before Nomad's first RPC asks for it.
  void services?.preload().catch((err: unknown) => log.error({ error: err }, "failed to load the driver"));
  return -1;
}

const cliIo = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    log.error({ error: err }, "plugin failed");
    process.exit(1);
  },
);
