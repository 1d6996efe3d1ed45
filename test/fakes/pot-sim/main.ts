// pot-sim entry point: `pot <command> [args]` on Linux, with pot 0.16's dispatcher rules.
import { existsSync, mkdirSync, statSync } from "node:fs";
import type { Sim, Verb } from "./context.ts";
import { hasHelp, printHelp, USAGE } from "./help.ts";
import { applyKnob, selectKnob } from "./knobs.ts";
import { withLock } from "./lock.ts";
import { Output, SimExit } from "./output.ts";
import { simPaths } from "./paths.ts";
import { recordInvocation } from "./record.ts";
import { init, setStatusVerb } from "./verbs/admin.ts";
import { copyIn, mountIn } from "./verbs/files.ts";
import { exportPorts, setAttribute, setCmd, setEnv, setHosts, setRss } from "./verbs/config.ts";
import { clone, importImage } from "./verbs/image.ts";
import { destroy, start, stop } from "./verbs/lifecycle.ts";
import { prepareWith } from "./verbs/prepare.ts";
import { exec, signal } from "./verbs/process.ts";
import { config, getAttribute, getRss, info, lastRunStats, list, ps, version } from "./verbs/query.ts";

const ALIASES: Record<string, string> = {
  ls: "list",
  rollback: "revert",
  snap: "snapshot",
  "set-attr": "set-attribute",
  "get-attr": "get-attribute",
};

/** Every command pot's dispatcher accepts; the ones without a verb here exist in pot but are not simulated. */
const KNOWN = new Set(
  (
    "show version config list info ps top init de-init vnet-start create-base create-fscomp create " +
    "create-private-bridge copy-in copy-out mount-in mount-out prune set-hook destroy add-dep set-rss get-rss " +
    "set-cmd set-env set-hosts export import prepare export-ports set-attribute get-attribute start stop term " +
    "rename clone clone-fscomp promote snapshot revert purge-snapshots update-config last-run-stats signal exec set-status"
  ).split(" "),
);

const VERBS: Record<string, Verb> = {
  version,
  config,
  init,
  list,
  info,
  ps,
  prepare: prepareWith(undefined),
  import: importImage,
  clone,
  destroy,
  "copy-in": copyIn,
  "mount-in": mountIn,
  "set-attribute": setAttribute,
  "get-attribute": getAttribute,
  "set-cmd": setCmd,
  "set-env": setEnv,
  "set-hosts": setHosts,
  "set-rss": setRss,
  "get-rss": getRss,
  "export-ports": exportPorts,
  start,
  stop,
  "last-run-stats": lastRunStats,
  signal,
  exec,
  "set-status": setStatusVerb,
};

/** Commands pot runs under `lockf -k /tmp/pot-lock-file` (docs/pot-behaviour.md, locking). */
const GLOBALLY_LOCKED = new Set(["create", "import", "clone", "create-private-bridge", "prepare", "copy-in"]);
/** Commands that work without an initialised root. */
const NO_ROOT_NEEDED = new Set(["version", "init", "de-init"]);

async function main(args: string[]): Promise<number> {
  const out = new Output();
  const root = process.env.POT_SIM_ROOT ?? "";
  const paths = simPaths(root === "" ? "/nonexistent/pot-sim-root" : root);
  const sim: Sim = { paths, out, env: process.env };
  if (existsSync(paths.root)) recordInvocation(paths, args, process.env);

  const typed = args[0];
  if (typed === undefined) {
    out.raw(USAGE);
    return 1;
  }
  const command = ALIASES[typed] ?? typed;
  const rest = args.slice(1);
  if (command === "help") {
    const topic = rest[0];
    if (topic === undefined) out.raw(USAGE);
    else if (hasHelp(ALIASES[topic] ?? topic)) printHelp(out, ALIASES[topic] ?? topic);
    else {
      out.print(`Command ${topic} unkown`);
      return 1;
    }
    return 0;
  }
  if (command === "run") return dispatch(sim, "term", typed, ["-f", ...rest]);
  if (!KNOWN.has(command)) {
    out.raw(USAGE);
    return 1;
  }
  if (!NO_ROOT_NEEDED.has(command)) {
    if (!existsSync(paths.root) || !statSync(paths.root).isDirectory()) {
      out.stderr(`###>  ${paths.root} does not exist, please run 'pot init'`);
      return 1;
    }
    for (const dir of [paths.tmp, paths.cache, paths.run, paths.jails]) mkdirSync(dir, { recursive: true });
  }
  return dispatch(sim, command, typed, rest);
}

async function dispatch(sim: Sim, command: string, typed: string, args: string[]): Promise<number> {
  if (command === "promote") {
    sim.out.print("Fatal error! promote implementation not found!");
    return 1;
  }
  const run = async (): Promise<number> => {
    const knob = await selectKnob(sim, [...new Set([typed, command])], args);
    const keep = knob === undefined ? undefined : await applyKnob(sim, knob);
    const verb = command === "prepare" ? prepareWith(keep) : VERBS[command];
    if (verb === undefined) {
      sim.out.stderr(`pot-sim: ${command} is not simulated`);
      return 1;
    }
    return verb(sim, args);
  };
  try {
    if (GLOBALLY_LOCKED.has(command)) return await withLock(sim.paths.globalLock, run);
    return await run();
  } catch (err) {
    if (err instanceof SimExit) return err.code;
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pot-sim: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
