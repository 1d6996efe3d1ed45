// A directory of stand-in host commands for tests of code that runs them (procstat, ps, mount, ...): put it first
// on PATH; each stub appends "<name> <args>" to one calls file, then runs its sh body (print a fixture, exit).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface StubCommands {
  dir: string;
  /** Every stub's calls, one line each, in order. */
  callsFile: string;
  add: (name: string, body: string) => void;
  remove: () => void;
}

export function stubCommands(prefix: string): StubCommands {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const callsFile = join(dir, "calls.log");
  return {
    dir,
    callsFile,
    add: (name, body) => {
      writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >>"${callsFile}"\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
