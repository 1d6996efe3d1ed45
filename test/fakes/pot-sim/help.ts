// Usage texts of the simulated pot: the overall usage and one synopsis block per subcommand.
import type { Output } from "./output.ts";

export const USAGE = `Usage: pot command [options]
Commands (pot-sim, a Linux stand-in for pot 0.16):
    help version config init ls/list info ps
    prepare import clone destroy
    copy-in mount-in set-attr/set-attribute get-attr/get-attribute
    set-cmd set-env set-hosts set-rss get-rss export-ports
    start stop last-run-stats signal exec set-status
`;

const HELP: Record<string, string> = {
  version: "pot version [-hvq]\n  -q print only the version number",
  config:
    "pot config [-hvq] [-g name]\n  -q quiet\n  -g name : fs_root, zfs_root, gateway, syslogd, pot_prefix, fscomp_prefix or network_stack",
  init: "pot init [-hv]\n  creates the simulator's root directories",
  list: "pot ls [-hvq] [-p|-b|-f|-F|-B|-a]\n  -q names only",
  info: "pot info [-hvqrEs] [-p pot|-B bridge]\n  -r exit status tells whether the pot is running\n  -q exit status tells whether it is a pot\n  -E environment lines",
  ps: "pot ps [-hvq]",
  prepare:
    "pot prepare [-hvs] -p pot -U URL -t tag -a allocation-id [-n name] [-c cmd]\n" +
    "            [-e [proto:]potport[:hostport]]... [-N network-type] [-i ip]... [-B bridge]\n" +
    "            [-S network-stack] [-d dns] [-C pubkey]",
  import: "pot import [-hv] -p pot -t tag -U URL [-C pubkey]",
  clone: "pot clone [-hvkF] -p pot -P base-pot [-s snapshot] [-N network-type] [-i ip]... [-B bridge] [-S network-stack] [-d dns]",
  destroy: "pot destroy [-hvqFr] -p pot\n  -F stop a running pot first",
  "copy-in":
    "pot copy-in [-hvFc] -p pot -s source -d destination\n  -F allowed on a running pot\n  -c create the destination's parent directories",
  "mount-in": "pot mount-in [-hvwr] -p pot -m mountpoint (-d directory | -f fscomp | -z dataset)\n  -r read-only",
  "set-attribute": "pot set-attr [-hv] -p pot -A attribute -V value",
  "get-attribute": "pot get-attr [-hvq] -p pot -A attribute",
  "set-cmd": "pot set-cmd [-hv] -p pot -c cmd",
  "set-env": "pot set-env [-hv] -p pot -E VAR=value [-E VAR=value]...",
  "set-hosts": "pot set-hosts [-hv] -p pot -H hostname:IP [-H hostname:IP]...",
  "set-rss": "pot set-rss [-hv] -p pot [-C cpus] [-M memory]",
  "get-rss": "pot get-rss [-hv] -p pot [-J]\n  -J one line of JSON",
  "export-ports": "pot export-ports [-hv] -p pot -e [proto:]potport[:hostport] [-e ...]",
  start: "pot start [-hvsS] [-p] pot",
  stop: "pot stop [-hv] [-p] pot",
  "last-run-stats": "pot last-run-stats [-hv] -p pot",
  signal: "pot signal [-hvflC] [-s signal] [-P pid | -m pattern] -p pot\n  default signal SIGINFO; -l lists the signal names",
  exec: "pot exec [-hvdt] [-e VAR=value]... [-u hostuser | -U potuser] -p pot cmd [args...]",
  "set-status": "pot set-status [-hv] -p pot -s status [-i interfaces]\n  internal",
};

export function printHelp(out: Output, verb: string): void {
  const text = HELP[verb] ?? `pot ${verb} [-hv]`;
  out.print(`${text}\n  -h print this help\n  -v verbose`);
}

export function hasHelp(verb: string): boolean {
  return verb in HELP;
}
