// Runs the pot contract against the real pot: FreeBSD, as root, with POT_PATH naming pot (the suites' one switch,
// test/support/pot-under-test.ts) and an image to use.
//
// The image comes from the environment: POT_TEST_IMAGE_URL (base URL), POT_TEST_IMAGE_NAME and
// POT_TEST_IMAGE_TAG, as scripts/test.sh sets them after making one with scripts/make-pot-image.sh.
// racct must be enabled (kern.racct.enable=1) for the get-rss case.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REAL_POT_PATH, realPotImage } from "../support/pot-under-test.ts";
import { definePotCliContract } from "./pot-cli.case.ts";

const REAL_POT = REAL_POT_PATH ?? "/usr/local/bin/pot";

function skipReason(): string | undefined {
  if (process.platform !== "freebsd") return `real pot runs only on FreeBSD (this is ${process.platform})`;
  if (REAL_POT_PATH === undefined) return "POT_PATH is unset (it selects real pot)";
  if (!existsSync(REAL_POT)) return `${REAL_POT} is not installed`;
  if (process.getuid?.() !== 0) return "pot changes state only as root";
  const missing = ["POT_TEST_IMAGE_URL", "POT_TEST_IMAGE_NAME", "POT_TEST_IMAGE_TAG"].filter((name) => !process.env[name]);
  if (missing.length > 0) return `set ${missing.join(", ")} to an exported pot image`;
  return undefined;
}

const reason = skipReason();
definePotCliContract(
  "real pot",
  reason !== undefined
    ? { skip: reason }
    : async () => {
        const config = Bun.spawnSync([REAL_POT, "config", "-q", "-g", "fs_root"]);
        const fsRoot = config.stdout.toString().trim() || "/opt/pot";
        return {
          potPath: REAL_POT,
          env: {},
          image: realPotImage(),
          // The discard port: nothing listens there, so the fetch fails at once.
          unreachableUrl: "http://127.0.0.1:9",
          jailRoot: (potName: string) => join(fsRoot, "jails", potName, "m"),
          close: async () => {},
        };
      },
);
