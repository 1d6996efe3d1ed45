// Compiling the benchmark's binaries into a scratch directory (dist/ is left alone).
//
// Both the driver and the floor program are built with the flags of scripts/build.sh, for linux-x64.
import { join } from "node:path";

export const SHIPPED_FLAGS = [
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--minify",
  "--bytecode",
  "--format=esm",
] as const;

/** Builds `entry` (relative to the repository) for linux-x64 into `outfile`; throws with bun's output on failure. */
export function compileShipped(repo: string, entry: string, outfile: string): string {
  const bun = join(repo, "node_modules/.bin/bun");
  const argv = [bun, "build", join(repo, entry), "--compile", ...SHIPPED_FLAGS, "--target=bun-linux-x64", "--outfile", outfile];
  const built = Bun.spawnSync(argv, { cwd: repo, stdout: "pipe", stderr: "pipe" });
  if (!built.success) throw new Error(`bun build ${entry} failed:\n${built.stdout.toString()}${built.stderr.toString()}`);
  return outfile;
}
