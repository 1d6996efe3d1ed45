// Which pots and bundles no known task owns (cli layer, pure): the decision behind `pot-task-driver orphans`.
//
// The driver names every pot `<task>_<invocation>_<alloc>` (src/pot/naming.ts) and keeps one bundle per task
// under <state_dir>/tasks/ whose spec.json holds the `pot start -p <pot>` argv. A pot is orphaned when no bundle
// names it, or when every bundle naming it is finished (exit recorded, supervisor gone); a bundle is orphaned
// when its pot no longer exists and its supervisor is not running. Anything uncertain (a supervisor whose state
// is unknown, a pot changed too recently, a pot whose age is unknown) is left alone.
import { isDriverPotName } from "../pot/naming.ts";

/** The pot a bundle's supervised argv starts: the word after `-p` following `start`; undefined when there is none. */
export function potNameOfStartArgv(argv: readonly string[]): string | undefined {
  const start = argv.indexOf("start");
  if (start === -1) return undefined;
  const flag = argv.indexOf("-p", start + 1);
  const name = flag === -1 ? undefined : argv[flag + 1];
  return name === undefined || name === "" ? undefined : name;
}

export type SupervisorState = "alive" | "gone" | "unknown";

/** What is known about one bundle. */
export interface BundleFacts {
  bundleId: string;
  bundleDir: string;
  taskId?: string;
  /** The pot its argv starts; absent when spec.json is unreadable. */
  potName?: string;
  /** Why spec.json could not be read. */
  specError?: string;
  /** exit.json exists. */
  exitRecorded: boolean;
  /** The supervisor named in supervisor.pid, identity-checked: alive, gone (or not ours), or unknown (ps failed). */
  supervisor: SupervisorState;
  supervisorPid?: number;
}

export type Orphan =
  | {
      kind: "pot";
      potName: string;
      reason: string;
      /** Finished bundles naming this pot, removed together with it. */
      bundleDirs: string[];
    }
  | { kind: "bundle"; bundleId: string; bundleDir: string; potName?: string; reason: string };

export interface OrphanInputs {
  /** `pot ls -q`. */
  pots: readonly string[];
  bundles: readonly BundleFacts[];
  /** For driver-named pots: ms since the pot last changed. A pot missing here has an unknown age. */
  potAgesMs: ReadonlyMap<string, number>;
  /**
   * Pots that changed less than this long ago, or whose age is unknown, are skipped: a task being started has its
   * pot before its bundle. 0 skips nothing.
   */
  minAgeMs: number;
}

export interface OrphanPlan {
  orphans: Orphan[];
  /** Driver-named pots seen. */
  driverPots: number;
  bundles: number;
  /** Driver-named pots without an owner that were skipped because they changed recently or have no known age. */
  skippedYoung: string[];
}

/** Pure: the orphans among `inputs`, pots first (in `pot ls` order), then bundles (in bundle id order). */
export function planOrphans(inputs: OrphanInputs): OrphanPlan {
  const existing = new Set(inputs.pots);
  const owners = new Map<string, BundleFacts[]>();
  for (const bundle of inputs.bundles) {
    if (bundle.potName === undefined) continue;
    owners.set(bundle.potName, [...(owners.get(bundle.potName) ?? []), bundle]);
  }
  const finished = (bundle: BundleFacts) => bundle.exitRecorded && bundle.supervisor === "gone";

  const orphans: Orphan[] = [];
  const skippedYoung: string[] = [];
  const driverPots = inputs.pots.filter(isDriverPotName);
  for (const potName of driverPots) {
    const named = owners.get(potName) ?? [];
    let reason: string;
    if (named.length === 0) reason = "no task bundle names it";
    else if (named.every(finished)) reason = "its task has ended (exit recorded, supervisor gone)";
    else continue;
    const age = inputs.potAgesMs.get(potName);
    if (inputs.minAgeMs > 0 && (age === undefined || age < inputs.minAgeMs)) {
      skippedYoung.push(potName);
      continue;
    }
    orphans.push({ kind: "pot", potName, reason, bundleDirs: named.map((bundle) => bundle.bundleDir) });
  }

  for (const bundle of inputs.bundles) {
    if (bundle.supervisor !== "gone") continue;
    if (bundle.potName === undefined) {
      const reason = `unreadable bundle: ${bundle.specError ?? "no pot in its argv"}`;
      orphans.push({ kind: "bundle", bundleId: bundle.bundleId, bundleDir: bundle.bundleDir, reason });
    } else if (!existing.has(bundle.potName)) {
      orphans.push({
        kind: "bundle",
        bundleId: bundle.bundleId,
        bundleDir: bundle.bundleDir,
        potName: bundle.potName,
        reason: `its pot ${bundle.potName} no longer exists`,
      });
    }
  }
  return { orphans, driverPots: driverPots.length, bundles: inputs.bundles.length, skippedYoung };
}

/** Answers that confirm a prompt: y or yes, any case, surrounding blanks ignored. Everything else is no. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}
