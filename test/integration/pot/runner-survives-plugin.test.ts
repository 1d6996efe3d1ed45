// A pot command keeps going when the plugin that ran it is SIGKILLed: its output is not a pipe whose reader
// vanishes (a shell script such as pot would otherwise die of SIGPIPE at its next echo).
import { test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../support/wait.ts";

test("the command finishes and writes after its runner's process is killed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runner-kill-"));
  const started = join(dir, "started");
  const marker = join(dir, "finished");
  const script = join(dir, "launcher.ts");
  writeFileSync(
    script,
    `import { SpawnRunner } from ${JSON.stringify(join(import.meta.dir, "../../../src/pot/runner.ts"))};
await new SpawnRunner().run(["/bin/sh", "-c", ${JSON.stringify(`: > ${started}; sleep 0.5; echo to-stdout; echo to-stderr >&2; : > ${marker}`)}]);
`,
  );
  const launcher = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "ignore" });
  try {
    await waitFor("command started", () => existsSync(started));
    launcher.kill("SIGKILL");
    await launcher.exited;
    await waitFor("command finished after its runner died", () => existsSync(marker), 10_000);
  } finally {
    launcher.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
