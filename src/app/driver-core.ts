// Builds the driver core for serving and for the selftest (the wiring): the pot command layer on one runner,
// interactive exec sessions, the supervision adapter on the shared sampler, the host's CPU facts and the prepare
// deadline override.
import { availableParallelism } from "node:os";
import type { PotDriver } from "../driver/driver.ts";
import { log } from "../log/logger.ts";
import type { SpawnRunner } from "../pot/runner.ts";

// Only types and the logger are imported above: the driver core is loaded with import() by makeDriver, so the
// entry point can import this module without paying for the driver before the handshake line is out.

/**
 * The driver core and its dependencies, loaded and wired once (by the plugin's first RPC or its preload; the
 * selftest drives the same wiring).
 */
export async function makeDriver(runner: SpawnRunner): Promise<PotDriver> {
  const [
    { PotDriver },
    { PREPARE_TIMEOUT_ENV, prepareTimeoutFrom },
    { PotCli },
    { startExecSession },
    { readHostCpu, readHostFacts },
    { sharedSampler },
    { supervisionFromSupervisor, usageSamplerFrom },
  ] = await Promise.all([
    import("../driver/driver.ts"),
    import("../driver/start-task.ts"),
    import("../pot/pot-cli.ts"),
    import("../pot/exec-session.ts"),
    import("../pot/host-facts.ts"),
    import("../supervisor/sampler.ts"),
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
    execSessions: { start: startExecSession },
    hostCpus: availableParallelism(),
    hostFacts: () => readHostFacts(runner),
    ...collectAfterQuiet(),
    mhzPerCore: hostCpu.mhz ?? FALLBACK_CORE_MHZ,
    ...(prepareTimeout.ok ? { prepareTimeoutMs: prepareTimeout.ms } : {}),
  });
}

/** Core speed assumed for CPU ticks when neither the agent's topology nor the host says (logged). */
const FALLBACK_CORE_MHZ = 1000;

/**
 * A full garbage collection a second after the node has no tasks left, and a second after the last of a burst of
 * starts: the runtime gives that burst's memory back, so the plugin settles near its working size instead of
 * keeping its high-water mark (docs/benchmark.md: about 5 MiB with 100 tasks).
 */
function collectAfterQuiet(): { onIdle: () => void; onStarted: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      Bun.gc(true);
    }, 1_000);
    timer.unref();
  };
  return { onIdle: later, onStarted: later };
}
