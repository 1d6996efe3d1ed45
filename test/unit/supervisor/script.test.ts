// Unit tests for src/supervisor/script.ts: the supervisor's argv and the promises the script text makes.
import { describe, expect, test } from "bun:test";
import { SCRIPT_VERSION, SUPERVISOR_SCRIPT, SUPERVISOR_SHELL, supervisorArgv } from "../../../src/supervisor/script.ts";

describe("supervisorArgv", () => {
  test("passes the task argv as separate positional parameters after the fixed ones", () => {
    const argv = ["pot", "start", "-p", "web_3f2a1b0c", "a b", "$(x)", ""];
    expect(
      supervisorArgv({
        scriptPath: "/var/db/pot-driver/tasks/web-1/supervise.sh",
        launchToken: "tok",
        bundleDir: "/var/db/pot-driver/tasks/web-1",
        stdoutPath: "/alloc/logs/.web.stdout.fifo",
        stderrPath: "/alloc/logs/.web.stderr.fifo",
        stdoutDir: "/alloc/logs",
        stderrDir: "/alloc/logs",
        argv,
      }),
    ).toEqual([
      SUPERVISOR_SHELL,
      "/var/db/pot-driver/tasks/web-1/supervise.sh",
      "tok",
      "/var/db/pot-driver/tasks/web-1",
      "/alloc/logs/.web.stdout.fifo",
      "/alloc/logs/.web.stderr.fifo",
      "/alloc/logs",
      "/alloc/logs",
      ...argv,
    ]);
  });
});

describe("SUPERVISOR_SCRIPT", () => {
  test('names its format version and runs the argv only as "$@" through exec', () => {
    expect(SUPERVISOR_SCRIPT.split("\n")[0]).toContain(`format ${SCRIPT_VERSION}`);
    expect(SUPERVISOR_SCRIPT).toContain('( exec "$@" )');
    expect(SUPERVISOR_SCRIPT).not.toMatch(/\beval\b/);
  });

  test("never writes to the task's destinations itself: its own output goes to supervisor.log", () => {
    expect(SUPERVISOR_SCRIPT).toContain('exec </dev/null >>"$dir/supervisor.log" 2>&1');
    expect(SUPERVISOR_SCRIPT).toContain("trap : HUP INT QUIT TERM PIPE USR1 USR2");
  });

  test("uses only POSIX sh, and runs no program but argv: its records are written by printf, no mv or date", () => {
    const code = SUPERVISOR_SCRIPT.split("\n")
      .filter((line) => !line.trimStart().startsWith("#"))
      .join("\n");
    expect(code).not.toMatch(/\/(usr\/)?s?bin\//);
    expect(code).not.toMatch(/\b(mv|date|cat|touch|ln|cp|rm|mkdir|stat|env|sleep)\b/);
    expect(SUPERVISOR_SCRIPT).not.toMatch(/\[\[|\bfunction\b|\blocal\b|\$\{[^}]*\/\/|<<<|\bsource\b/);
  });
});
