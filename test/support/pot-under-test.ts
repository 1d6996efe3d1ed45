// The one switch between the pot simulator and real pot for the suites that can run on both: POT_PATH. Unset,
// they use the simulator (test/fakes/pot, which needs Linux's /proc); set to an absolute path of real pot (FreeBSD,
// as root), they use it, with the image scripts/test.sh makes (POT_TEST_IMAGE_URL/NAME/TAG, see
// scripts/make-pot-image.sh). Suites that only make sense with the simulator (knobs, its call log, its
// internals) skip with SIMULATOR_ONLY's reason. See docs/freebsd.md ("Running the suites on FreeBSD").
import { join, resolve } from "node:path";

const SIMULATOR = resolve(import.meta.dir, "../fakes/pot");

export interface RealPotImage {
  url: string;
  name: string;
  tag: string;
}

/** Real pot's path when POT_PATH selects it, else undefined (the simulator). */
export const REAL_POT_PATH: string | undefined = process.env.POT_PATH || undefined;

/** The pot the suites drive. */
export const POT_UNDER_TEST: string = REAL_POT_PATH ?? SIMULATOR;

/** Why a simulator-only test cannot run here, or undefined when it can. */
export const SIMULATOR_ONLY: string | undefined =
  REAL_POT_PATH !== undefined
    ? `needs the pot simulator; POT_PATH selects real pot (${REAL_POT_PATH})`
    : process.platform !== "linux"
      ? `the pot simulator needs Linux /proc (this is ${process.platform}); set POT_PATH to real pot`
      : undefined;

/** The image made for the suites on a real-pot host (scripts/test.sh exports these). */
export function realPotImage(): RealPotImage {
  const url = process.env.POT_TEST_IMAGE_URL;
  const name = process.env.POT_TEST_IMAGE_NAME;
  const tag = process.env.POT_TEST_IMAGE_TAG;
  if (!url || !name || !tag) {
    throw new Error(
      "POT_PATH selects real pot but POT_TEST_IMAGE_URL/NAME/TAG are unset: run the suites with scripts/test.sh, which makes the image",
    );
  }
  return { url, name, tag };
}

/** Pot names real pot lists (`pot ls -q`). */
export function realPots(potPath: string = POT_UNDER_TEST): string[] {
  const proc = Bun.spawnSync([potPath, "ls", "-q"], { stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`${potPath} ls -q failed: ${proc.stderr.toString().trim()}`);
  return proc.stdout
    .toString()
    .split("\n")
    .filter((line) => line.trim() !== "");
}

/** The compiled driver for this host (dist/pot-task-driver-<os>-<arch>). */
export function hostBinary(repoRoot: string): string {
  const target = process.platform === "freebsd" ? `freebsd-${process.arch === "arm64" ? "arm64" : "x64"}` : "linux-x64";
  return join(repoRoot, "dist", `pot-task-driver-${target}`);
}
