// Verbs that reach processes inside a running jail: signal and exec.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { getConfVar } from "../conf.ts";
import type { Verb } from "../context.ts";
import { printHelp } from "../help.ts";
import { jailPath, resolveProgram } from "../jail.ts";
import { parseOptions } from "../options.ts";
import { exit } from "../output.ts";
import { jailRoot, mainPidFile } from "../paths.ts";
import { isDirectory, isRunning, readJail } from "../pots.ts";
import { commandLine, processTree, signalAll } from "../procs.ts";
import { credentialsOf, lookupAccount, ROOT_CREDENTIALS, type SimAccount } from "../users.ts";

/** FreeBSD's `killall -l`, the names pot accepts (with or without SIG). */
export const FREEBSD_SIGNALS = [
  "HUP",
  "INT",
  "QUIT",
  "ILL",
  "TRAP",
  "ABRT",
  "EMT",
  "FPE",
  "KILL",
  "BUS",
  "SEGV",
  "SYS",
  "PIPE",
  "ALRM",
  "TERM",
  "URG",
  "STOP",
  "TSTP",
  "CONT",
  "CHLD",
  "TTIN",
  "TTOU",
  "IO",
  "XCPU",
  "XFSZ",
  "VTALRM",
  "PROF",
  "WINCH",
  "INFO",
  "USR1",
  "USR2",
  "LWP",
  "LIBRT",
];

function validSignal(name: string): boolean {
  const bare = name.startsWith("SIG") ? name.slice(3) : name;
  return FREEBSD_SIGNALS.includes(bare);
}

/** The Linux signal for a FreeBSD name, or undefined for the ones Linux lacks (EMT, INFO, LWP, LIBRT). */
function linuxSignal(name: string): NodeJS.Signals | undefined {
  const full = (name.startsWith("SIG") ? name : `SIG${name}`) as NodeJS.Signals;
  return full in osConstants.signals ? full : undefined;
}

/** `pot signal`: pkill semantics inside the jail (the jail = the main process and its descendants). */
export const signal: Verb = (sim, args) => {
  let pot = "";
  let name = "SIGINFO";
  let pid = "";
  let pattern = "";
  let force = false;
  let dryRun = false;
  parseOptions(sim, "signal", args, "hvflCs:P:m:p:", (option, value) => {
    if (option === "l") {
      sim.out.print(FREEBSD_SIGNALS.join(" "));
      exit(0);
    }
    if (option === "f") force = true;
    if (option === "C") dryRun = true;
    if (option === "s") name = value;
    if (option === "P") pid = value;
    if (option === "m") pattern = value;
    if (option === "p") pot = value;
  });
  if (pot === "") {
    sim.out.error("A pot name is mandatory");
    printHelp(sim.out, "signal");
    exit(1);
  }
  if (!validSignal(name)) {
    sim.out.error(`Invalid signal, valid signals: ${FREEBSD_SIGNALS.join(" ")}`);
    exit(1);
  }
  if (pid !== "" && pattern !== "") {
    sim.out.error("Process ID and pattern match are mutually exclusive");
    exit(1);
  }
  if (pid !== "" && !/^[0-9]+$/.test(pid)) {
    sim.out.error("Invalid pid");
    exit(1);
  }
  if (!isRunning(sim, pot)) {
    if (force) {
      sim.out.info("The pot is not running");
      return 0;
    }
    sim.out.error("The pot is not running");
    exit(1);
  }
  const jail = readJail(sim, pot);
  const jailed = jail?.mainPid === undefined ? [] : processTree(jail.mainPid);
  let targets: number[];
  if (pattern !== "") {
    sim.out.info(`Sending ${name} by pattern to pot ${pot}`);
    const regex = new RegExp(pattern);
    targets = jailed.filter((p) => regex.test(commandLine(p)));
  } else if (pid !== "") {
    sim.out.info(`Sending ${name} to pid ${pid} in pot ${pot}`);
    targets = jailed.filter((p) => p === Number(pid));
  } else {
    sim.out.info(`Sending ${name} to main process of pot ${pot}`);
    if (getConfVar(sim, pot, "pot.attr.persistent") !== "NO") {
      if (force) {
        sim.out.info("Persistent pots have no main process");
        return 0;
      }
      sim.out.error("Persistent pots have no main process");
      return 1;
    }
    const file = mainPidFile(sim.paths, pot);
    const mainPid = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : NaN;
    targets = jailed.filter((p) => p === mainPid);
  }
  let ok = targets.length > 0;
  if (ok && dryRun) sim.out.print(targets.join("\n"));
  else if (ok) {
    const linux = linuxSignal(name);
    if (linux === undefined) sim.out.stderr(`pot-sim: ${name} has no Linux equivalent; not delivered`);
    else ok = signalAll(targets, linux) > 0;
  }
  if (!ok) {
    if (force) {
      sim.out.info("Sending signal failed");
      return 0;
    }
    sim.out.error("Sending signal failed");
    return 1;
  }
  return 0;
};

/**
 * `pot exec`: runs the command with root's home directory in the jail as cwd (jexec -l) in a clean login-like
 * environment (pot uses `jexec -l … env VAR=value… cmd`; pot.env is not applied), stdio inherited, its exit
 * status propagated.
 * `-t` runs the command directly (no pty); `-d` detaches and returns 0.
 */
export const exec: Verb = async (sim, args) => {
  let pot = "";
  let detach = false;
  let userHost = "";
  let userPot = "";
  const extraEnv: Record<string, string> = {};
  const command = parseOptions(sim, "exec", args, "hvdtp:e:u:U:", (option, value) => {
    if (option === "d") detach = true;
    if (option === "p") pot = value;
    if (option === "u") userHost = value;
    if (option === "U") userPot = value;
    if (option === "e") {
      const equals = value.indexOf("=");
      if (equals < 0) {
        sim.out.error(`${value} not in a valid form`);
        sim.out.error("VARIABLE=value is accetped");
        printHelp(sim.out, "exec");
        exit(1);
      }
      extraEnv[value.slice(0, equals)] = value.slice(equals + 1);
    }
  });
  if (command.length === 0) {
    sim.out.error("A command is mandatory");
    exit(1);
  }
  if (pot === "") {
    sim.out.error("A pot name is mandatory");
    printHelp(sim.out, "exec");
    exit(1);
  }
  if (userHost !== "" && userPot !== "") {
    sim.out.error("Parameters -u and -U are mutually exclusive");
    exit(1);
  }
  if (!isRunning(sim, pot)) {
    sim.out.error("The pot is not running");
    exit(1);
  }
  const root = jailRoot(sim.paths, pot);
  // jexec -l: root's login unless -u (an account of the host) or -U (one of the jail) names another; the
  // command starts in that account's home, and jexec fails when the home does not exist.
  let account: SimAccount | undefined = { name: "root", uid: 0, gid: 0, groups: [0, 5], home: "/root", shell: "/bin/sh" };
  if (userPot !== "" || userHost !== "") {
    account = userPot !== "" ? lookupAccount(root, userPot) : lookupAccount("/", userHost);
    if (account === undefined) {
      sim.out.stderr(`jexec: ${userPot || userHost}: no such user`);
      return 1;
    }
  } else mkdirSync(join(root, "root"), { recursive: true });
  const home = join(root, account.home);
  if (!isDirectory(home)) {
    sim.out.stderr(`jexec: chdir: ${account.home}: No such file or directory`);
    return 1;
  }
  const credentials = userPot === "" && userHost === "" ? ROOT_CREDENTIALS : credentialsOf(account);
  sim.out.debug(`Exec in ${pot}, cmd: ${command.join(" ")}`);
  // pot runs `jexec -l <pot> env VAR=value… <command…>`: env(1) reads leading words containing `=` as more
  // assignments and a leading `-` word as its own option, so the command's first word is read the same way.
  const words = [...command];
  while (words.length > 0 && (words[0] ?? "").includes("=")) {
    const word = words.shift() as string;
    extraEnv[word.slice(0, word.indexOf("="))] = word.slice(word.indexOf("=") + 1);
  }
  // jexec -l: a clean environment; of the caller's only TERM is kept.
  const term = sim.env.TERM;
  const env = {
    PATH: jailPath(root),
    HOME: home,
    USER: account.name,
    SHELL: account.shell || "/bin/sh",
    ...(term === undefined ? {} : { TERM: term }),
    POT_SIM_JAIL_ROOT: root,
    ...credentials,
    ...extraEnv,
  };
  if (words.length === 0) {
    // env without a command prints the environment it would have run one with.
    sim.out.raw(
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    return 0;
  }
  if (/^-./.test(words[0] ?? "")) {
    // env's own options are not simulated; an option-looking command word never runs as a command.
    sim.out.stderr(`env: illegal option -- ${(words[0] ?? "").slice(1, 2)}`);
    sim.out.stderr("usage: env [-0iv] [-L|-U user[/class]] [-P utilpath] [-S string] [-u name] [name=value ...] [utility [argument ...]]");
    return 1;
  }
  const argv = [resolveProgram(root, words[0] ?? ""), ...words.slice(1)];
  try {
    if (detach) {
      const child = Bun.spawn(argv, { cwd: home, env, stdin: "ignore", stdout: "ignore", stderr: "ignore", detached: true });
      child.unref();
      return 0;
    }
    const child = Bun.spawn(argv, { cwd: home, env, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
    await child.exited;
    if (child.exitCode !== null) return child.exitCode;
    const signalNumber =
      typeof child.signalCode === "number" ? child.signalCode : (osConstants.signals[child.signalCode as NodeJS.Signals] ?? 0);
    return 128 + signalNumber;
  } catch (err) {
    sim.out.stderr(`jexec: execvp: ${command[0] ?? ""}: ${err instanceof Error ? err.message : String(err)}`);
    return 127;
  }
};
