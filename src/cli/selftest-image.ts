// `selftest --from-pot`: an image exported from a pot on this host (cli layer): `pot export` of the pot's
// snapshot into a temporary directory that pot's prepare fetches from over file:// (see docs/freebsd.md). The
// pot's snapshots are left as they are: without one (or with several) pot's own error says what to do.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandRunner } from "../pot/runner.ts";
import type { SelftestImage } from "./selftest-task.ts";

const EXPORT_TIMEOUT_MS = 15 * 60_000;

export interface ExportedImage extends SelftestImage {
  dir: string;
  remove: () => Promise<void>;
}

/** The argv of each pot command the export runs, in order. */
export function exportArgv(potPath: string, pot: string, tag: string, dir: string): string[][] {
  return [[potPath, "export", "-p", pot, "-t", tag, "-D", dir]];
}

export async function exportImage(runner: CommandRunner, potPath: string, pot: string, tag: string): Promise<ExportedImage> {
  const dir = await mkdtemp(join(tmpdir(), "pot-selftest-image-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  for (const argv of exportArgv(potPath, pot, tag, dir)) {
    const result = await runner.run(argv, { timeoutMs: EXPORT_TIMEOUT_MS });
    if (result.exitCode !== 0) {
      await remove();
      const said = `${result.stdout}${result.stderr}`.trim();
      throw new Error(`${argv.slice(1).join(" ")} exited ${result.exitCode ?? `on ${result.signal}`}${said === "" ? "" : `: ${said}`}`);
    }
  }
  return { url: `file://${dir}/`, name: pot, tag, dir, remove };
}
