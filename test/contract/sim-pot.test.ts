// Runs the pot contract against the simulator (test/fakes/pot) with images served over loopback HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFileServer } from "../fakes/file-server.ts";
import { buildPotImage, exportedPotConf } from "../fakes/pot-image.ts";
import { definePotCliContract } from "./pot-cli.case.ts";

export const SIM_POT = join(import.meta.dir, "..", "fakes", "pot");

definePotCliContract("simulator", async () => {
  const work = mkdtempSync(join(tmpdir(), "pot-sim-contract-"));
  const root = join(work, "root");
  const images = join(work, "images");
  await buildPotImage(images, { name: "contract-img", tag: "1.0", potConf: exportedPotConf() });
  const server = startFileServer(images);
  const init = Bun.spawnSync([SIM_POT, "init"], { env: { ...process.env, POT_SIM_ROOT: root } });
  if (init.exitCode !== 0) throw new Error(`pot init failed: ${init.stdout.toString()}${init.stderr.toString()}`);
  return {
    potPath: SIM_POT,
    env: { POT_SIM_ROOT: root },
    image: { url: server.url, name: "contract-img", tag: "1.0" },
    unreachableUrl: `${server.url}/nothing-here`,
    jailRoot: (potName: string) => join(root, "jails", potName, "m"),
    close: async () => {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
});
