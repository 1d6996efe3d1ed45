// Reads what `orphans` needs to know about each task bundle under <state_dir>/tasks/ (cli layer): its pot, whether
// it recorded an exit, and whether its supervisor still runs. Reads only; removal goes through the supervisor layer.
import { describeError } from "../log/logger.ts";
import { isAlive } from "../support/process-alive.ts";
import { type BundleSpec, bundlePath, listBundles, readOptional, readPidRecord, readSpec } from "../supervisor/bundle.ts";
import { probeProcess } from "../supervisor/ps.ts";
import { type BundleFacts, potNameOfStartArgv, type SupervisorState } from "./orphan-plan.ts";

const PS_TIMEOUT_MS = 5_000;

/**
 * Facts about every bundle of a state dir, sorted by bundle id. A supervisor is "alive" only when ps shows the
 * pid from supervisor.pid running this bundle's script with its launch token; "gone" when the pid is gone, a
 * zombie, or runs something else, or when there is no supervisor.pid; "unknown" when ps fails or the bundle's
 * spec is unreadable while its pid is alive (the identity cannot be checked).
 */
export async function readBundleFacts(stateDir: string): Promise<BundleFacts[]> {
  const entries = await listBundles(stateDir);
  return Promise.all(
    entries.map(async ({ bundleId, bundleDir }): Promise<BundleFacts> => {
      const exitRecorded = (await readOptional(bundlePath(bundleDir, "exit")).catch(() => undefined)) !== undefined;
      const pidRecord = await readPidRecord(bundleDir).catch(() => undefined);
      let spec: BundleSpec;
      try {
        spec = await readSpec(bundleDir);
      } catch (err) {
        const supervisor: SupervisorState = pidRecord === undefined ? "gone" : isAlive(pidRecord.pid) ? "unknown" : "gone";
        return {
          bundleId,
          bundleDir,
          specError: describeError(err),
          exitRecorded,
          supervisor,
          ...(pidRecord === undefined ? {} : { supervisorPid: pidRecord.pid }),
        };
      }
      const potName = potNameOfStartArgv(spec.argv);
      let supervisor: SupervisorState = "gone";
      if (pidRecord !== undefined && pidRecord.launchToken === spec.launchToken) {
        try {
          const probe = await probeProcess(pidRecord.pid, PS_TIMEOUT_MS);
          const ours =
            probe.state === "live" && probe.args.includes(bundlePath(bundleDir, "script")) && probe.args.includes(spec.launchToken);
          supervisor = ours ? "alive" : "gone";
        } catch {
          supervisor = "unknown";
        }
      }
      return {
        bundleId,
        bundleDir,
        taskId: spec.taskId,
        ...(potName === undefined ? { specError: "its argv starts no pot" } : { potName }),
        exitRecorded,
        supervisor,
        ...(pidRecord === undefined ? {} : { supervisorPid: pidRecord.pid }),
      };
    }),
  );
}
