// Binds the driver's Supervision and UsageSampler interfaces to the supervisor layer (composition root helper,
// imported only by driver-core.ts): the supervisor's own types (exit records, samples) become the driver's here.
import { existsSync } from "node:fs";
import type { ProcessUsage, SupervisedTask, Supervision, UsageSampler } from "../driver/ports.ts";
import type { PotStartExit } from "../driver/task-exit.ts";
import { bundleDirFor } from "../supervisor/bundle.ts";
import { attach, launch, remove, type SupervisedProcess } from "../supervisor/client.ts";
import type { ExitRecord } from "../supervisor/exit-record.ts";
import type { StatsSampler } from "../supervisor/sampler.ts";

/** `sampler` also answers the identity probes of re-attached supervisors (one ps run per tick in total). */
export function supervisionFromSupervisor(sampler: StatsSampler): Supervision {
  const probe = (pid: number) => sampler.probe(pid);
  return {
    launch: async (request) => withKill(await launch(request)),
    attach: async (bundleDir, pid) => withKill(await attach(bundleDir, pid, { probe })),
    bundleExists: async (bundleDir) => existsSync(bundleDir),
    bundleDirFor: (stateDir, taskId) => bundleDirFor(stateDir, taskId),
    remove: (bundleDir) => remove(bundleDir),
  };
}

export function usageSamplerFrom(sampler: StatsSampler): UsageSampler {
  return {
    subscribe(pid, intervalMs, listener) {
      const subscription = sampler.subscribe(pid, intervalMs, (sample) => {
        const usage: ProcessUsage | undefined =
          sample.processCount === 0
            ? undefined
            : { rssBytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds, cpuPercent: sample.cpuPercent ?? 0 };
        listener(usage, sample.sampledAt);
      });
      return () => subscription.unsubscribe();
    },
  };
}

/** The supervisor layer's kill() checks the group is still this task's supervisor before signalling. */
function withKill(process: SupervisedProcess): SupervisedTask {
  return {
    pid: process.pid,
    bundleDir: process.bundleDir,
    exited: process.exited.then(potStartExitOf),
    kill: () => void process.kill(),
  };
}

/** The supervisor's exit record as the driver's PotStartExit: the same three cases, without time stamps. */
function potStartExitOf(record: ExitRecord): PotStartExit {
  switch (record.kind) {
    case "exited":
      return { kind: "exited", exitCode: record.exitCode, signal: record.signal };
    case "failed":
      return { kind: "failed", reason: record.reason };
    case "unknown":
      return { kind: "unknown", reason: record.reason };
  }
}
