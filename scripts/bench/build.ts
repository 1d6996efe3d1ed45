// Compiling the benchmark's driver binaries into a scratch directory (dist/ is left alone).
//
// The shipped variant uses the flags of scripts/build.sh; a plain --compile variant shows what they buy at start-up.
import { join } from "node:path";

export const SHIPPED_FLAGS = ["--minify", "--bytecode", "--format=esm"] as const;

/** Builds src/main.ts for linux-x64 into `outfile`; throws with bun's output when the build fails. */
export function compileDriver(repo: string, outfile: string, extraFlags: readonly string[]): string {
  const bun = join(repo, "node_modules/.bin/bun");
  const argv = [bun, "build", join(repo, "src/main.ts"), "--compile", ...extraFlags, "--target=bun-linux-x64", "--outfile", outfile];
  const built = Bun.spawnSync(argv, { cwd: repo, stdout: "pipe", stderr: "pipe" });
  if (!built.success) throw new Error(`bun build failed:\n${built.stdout.toString()}${built.stderr.toString()}`);
  return outfile;
}
