// The fingerprint's pot version probe: `pot version -q` at a given path, as text (layer 3).
import { PotCli } from "./pot-cli.ts";
import { SpawnRunner } from "./runner.ts";

/** Runs `<potPath> version -q` and returns the version text (e.g. "0.16.0"); throws PotError on failure. */
export async function potVersion(potPath: string): Promise<string> {
  const cli = new PotCli(potPath, new SpawnRunner());
  return (await cli.version()).text;
}
