// Entry point: dispatches on argv only. No arguments → serve as a Nomad plugin; `version` → print it;
// `doctor`, `orphans` and `selftest` → the operator commands in src/cli/.
import { availableParallelism } from "node:os";
import { linePrompter } from "./cli/confirm";
import { doctorCommand } from "./cli/doctor";
import { orphansCommand } from "./cli/orphans";
import { selftestCommand } from "./cli/selftest.ts";
import { PotDriver } from "./driver/driver";
import { PREPARE_TIMEOUT_ENV, prepareTimeoutFrom } from "./driver/start-task";
import { log } from "./log/logger";
import { addBasePluginService } from "./plugin/base-service";
import { addDriverService } from "./plugin/driver-service";
import { hasMagicCookie, NOT_A_PLUGIN_MESSAGE } from "./plugin/handshake";
import { serve } from "./plugin/serve";
import { PotCli } from "./pot/pot-cli";
import { readHostCpu, readHostFacts } from "./pot/host-facts.ts";
import { SpawnRunner } from "./pot/runner";
import { sharedSampler } from "./supervisor/sampler";
import { supervisionFromSupervisor, usageSamplerFrom } from "./supervision-adapter";
import { VERSION } from "./version";

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === "version" || command === "--version") {
    process.stdout.write(`pot-task-driver ${VERSION}\n`);
    return 0;
  }
  if (command === "doctor") return doctorCommand(argv.slice(1), VERSION, cliIo);
  if (command === "orphans") {
    return orphansCommand(argv.slice(1), {
      ...cliIo,
      stdinIsTty: process.stdin.isTTY === true,
      prompter: () => linePrompter(process.stdin, process.stderr),
    });
  }
  if (command === "selftest") {
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
  const driver = await makeDriver(new SpawnRunner());
  await serve({
    env: process.env,
    register: (server) => {
      addBasePluginService(server, driver);
      addDriverService(server, driver);
    },
  });
  return -1;
}

/** The driver core as the plugin runs it (the selftest drives the same wiring). */
async function makeDriver(runner: SpawnRunner): Promise<PotDriver> {
  // An operator (or test) override of the prepare deadline, read once; a bad value keeps the default, loudly.
  const prepareTimeout = prepareTimeoutFrom(process.env[PREPARE_TIMEOUT_ENV]);
  if (!prepareTimeout.ok) log.error({ reason: prepareTimeout.reason }, "ignoring the prepare timeout override");
  // os.cpus() can throw on FreeBSD hosts whose CPU ids have gaps; readHostCpu falls back to sysctl.
  const hostCpu = await readHostCpu(runner);
  if (hostCpu.mhz === undefined) log.warn({ assumed_mhz: FALLBACK_CORE_MHZ }, "the host does not say its CPU speed");
  return new PotDriver({
    pot: (potPath, env) => new PotCli(potPath, runner, { logger: log, env }),
    supervision: supervisionFromSupervisor(),
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
