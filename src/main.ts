// Entry point: dispatches on argv only. No arguments → serve as a Nomad plugin; `version` → print it;
// `doctor`, `orphans` and `selftest` → the operator commands in src/cli/.
import { availableParallelism } from "node:os";
import type { PotDriver } from "./driver/driver.ts";
import { log } from "./log/logger.ts";
import { addDeferredPluginServices, type DeferredServices } from "./plugin/deferred-services.ts";
import { hasMagicCookie, NOT_A_PLUGIN_MESSAGE } from "./plugin/handshake.ts";
import { serve } from "./plugin/serve.ts";
import type { SpawnRunner } from "./pot/runner.ts";
import { VERSION } from "./version.ts";

// Only what the handshake needs is imported above. The operator commands and the driver core are loaded with
// import() where they are used: a command's code when that command runs, the driver's once the handshake line
// is out (or by the first RPC), so the plugin announces itself at the start-up cost of its gRPC runtime.

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === "version" || command === "--version") {
    process.stdout.write(`pot-task-driver ${VERSION}\n`);
    return 0;
  }
  if (command === "doctor") return (await import("./cli/doctor.ts")).doctorCommand(argv.slice(1), VERSION, cliIo);
  if (command === "orphans") {
    const [{ orphansCommand }, { linePrompter }] = await Promise.all([import("./cli/orphans.ts"), import("./cli/confirm.ts")]);
    return orphansCommand(argv.slice(1), {
      ...cliIo,
      stdinIsTty: process.stdin.isTTY === true,
      prompter: () => linePrompter(process.stdin, process.stderr),
    });
  }
  if (command === "selftest") {
    const [{ selftestCommand }, { PotCli }, { SpawnRunner }] = await Promise.all([
      import("./cli/selftest.ts"),
      import("./pot/pot-cli.ts"),
      import("./pot/runner.ts"),
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
      services = addDeferredPluginServices(server, async () => makeDriver(new (await import("./pot/runner.ts")).SpawnRunner()));
    },
  });
  // The handshake line is out: load the driver now, before Nomad's first RPC asks for it.
  void services?.preload().catch((err: unknown) => log.error({ error: err }, "failed to load the driver"));
  return -1;
}

/**
 * The driver core and its dependencies, loaded and wired once (by the plugin's first RPC or its preload; the
 * selftest drives the same wiring).
 */
async function makeDriver(runner: SpawnRunner): Promise<PotDriver> {
  const [
    { PotDriver },
    { PREPARE_TIMEOUT_ENV, prepareTimeoutFrom },
    { PotCli },
    { readHostCpu, readHostFacts },
    { sharedSampler },
    { supervisionFromSupervisor, usageSamplerFrom },
  ] = await Promise.all([
    import("./driver/driver.ts"),
    import("./driver/start-task.ts"),
    import("./pot/pot-cli.ts"),
    import("./pot/host-facts.ts"),
    import("./supervisor/sampler.ts"),
    import("./supervision-adapter.ts"),
  ]);
  // An operator (or test) override of the prepare deadline, read once; a bad value keeps the default, loudly.
  const prepareTimeout = prepareTimeoutFrom(process.env[PREPARE_TIMEOUT_ENV]);
  if (!prepareTimeout.ok) log.error({ reason: prepareTimeout.reason }, "ignoring the prepare timeout override");
  // os.cpus() can throw on FreeBSD hosts whose CPU ids have gaps; readHostCpu falls back to sysctl.
  const hostCpu = await readHostCpu(runner);
  if (hostCpu.mhz === undefined) log.warn({ assumed_mhz: FALLBACK_CORE_MHZ }, "the host does not say its CPU speed");
  return new PotDriver({
    pot: (potPath, env) => new PotCli(potPath, runner, { logger: log, env }),
    supervision: supervisionFromSupervisor(sharedSampler),
    sampler: usageSamplerFrom(sharedSampler),
    hostCpus: availableParallelism(),
    hostFacts: () => readHostFacts(runner),
    onIdle: idleCollector(),
    mhzPerCore: hostCpu.mhz ?? FALLBACK_CORE_MHZ,
    ...(prepareTimeout.ok ? { prepareTimeoutMs: prepareTimeout.ms } : {}),
  });
}

/** Core speed assumed for CPU ticks when neither the agent's topology nor the host says (logged). */
const FALLBACK_CORE_MHZ = 1000;

const cliIo = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};

/**
 * Once the node has no tasks left, a full garbage collection a second later gives the memory of the last burst
 * back, so an idle plugin returns to its idle size instead of keeping its high-water mark.
 */
function idleCollector(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      Bun.gc(true);
    }, 1_000);
    timer.unref();
  };
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    log.error({ error: err }, "plugin failed");
    process.exit(1);
  },
);
